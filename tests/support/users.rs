//! A builder for `User` resources, so each test states only what it is about.

use std::collections::BTreeMap;

use serde_json::Value;
use zitadel_user_operator::crd::{
    AccessTokenType, DeletionPolicy, EmailSpec, EmailVerification, HumanSpec, MachineSpec,
    PasswordSpec, PhoneSpec, PhoneVerification, ProfileSpec, SecretKeySelector, User, UserSpec,
};

/// Organization id used by fixtures unless a test picks another.
pub const ORG_ID: &str = "336392597046099971";

/// Builds `User` resources with sensible defaults: a human with a verified email.
#[derive(Clone)]
pub struct UserBuilder {
    name: String,
    namespace: String,
    spec: UserSpec,
}

impl UserBuilder {
    /// A human user `name` in namespace `default`, organization [`ORG_ID`], email verified.
    pub fn human(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            namespace: "default".to_owned(),
            spec: UserSpec {
                organization_id: ORG_ID.to_owned(),
                user_id: None,
                username: None,
                metadata: BTreeMap::new(),
                deletion_policy: DeletionPolicy::Delete,
                adopt_existing: false,
                human: Some(HumanSpec {
                    profile: ProfileSpec {
                        given_name: "Given".to_owned(),
                        family_name: "Family".to_owned(),
                        nick_name: None,
                        display_name: None,
                        preferred_language: None,
                        gender: None,
                    },
                    email: EmailSpec {
                        address: format!("{name}@acme.example"),
                        verification: EmailVerification::Verified,
                        url_template: None,
                    },
                    phone: None,
                    password: None,
                }),
                machine: None,
            },
        }
    }

    /// A machine user `name` in namespace `default`, organization [`ORG_ID`].
    pub fn machine(name: &str) -> Self {
        let mut builder = Self::human(name);
        builder.spec.human = None;
        builder.spec.machine = Some(MachineSpec {
            name: format!("{name} machine"),
            description: None,
            access_token_type: AccessTokenType::Bearer,
        });
        builder
    }

    pub fn namespace(mut self, namespace: &str) -> Self {
        self.namespace = namespace.to_owned();
        self
    }

    pub fn organization(mut self, organization_id: &str) -> Self {
        self.spec.organization_id = organization_id.to_owned();
        self
    }

    pub fn user_id(mut self, user_id: &str) -> Self {
        self.spec.user_id = Some(user_id.to_owned());
        self
    }

    pub fn username(mut self, username: &str) -> Self {
        self.spec.username = Some(username.to_owned());
        self
    }

    pub fn metadata(mut self, key: &str, value: &str) -> Self {
        self.spec.metadata.insert(key.to_owned(), value.to_owned());
        self
    }

    pub fn deletion_policy(mut self, policy: DeletionPolicy) -> Self {
        self.spec.deletion_policy = policy;
        self
    }

    pub fn adopt_existing(mut self) -> Self {
        self.spec.adopt_existing = true;
        self
    }

    pub fn email(mut self, address: &str, verification: EmailVerification) -> Self {
        let email = &mut self.human_mut().email;
        email.address = address.to_owned();
        email.verification = verification;
        self
    }

    /// Email verification `ReturnCode` for the default address: the code goes to the Secret.
    pub fn email_code(mut self) -> Self {
        self.human_mut().email.verification = EmailVerification::ReturnCode;
        self
    }

    pub fn email_url_template(mut self, template: &str) -> Self {
        self.human_mut().email.url_template = Some(template.to_owned());
        self
    }

    pub fn phone(mut self, number: &str, verification: PhoneVerification) -> Self {
        self.human_mut().phone = Some(PhoneSpec {
            number: number.to_owned(),
            verification,
        });
        self
    }

    pub fn given_name(mut self, given_name: &str) -> Self {
        self.human_mut().profile.given_name = given_name.to_owned();
        self
    }

    pub fn generated_password(mut self) -> Self {
        self.human_mut().password = Some(PasswordSpec {
            secret_ref: None,
            generate: Some(true),
            hashed: false,
            change_required: true,
        });
        self
    }

    pub fn password_from_secret(mut self, secret: &str, key: &str) -> Self {
        self.human_mut().password = Some(PasswordSpec {
            secret_ref: Some(SecretKeySelector {
                name: secret.to_owned(),
                key: key.to_owned(),
            }),
            generate: None,
            hashed: false,
            change_required: false,
        });
        self
    }

    pub fn machine_name(mut self, name: &str) -> Self {
        if let Some(machine) = self.spec.machine.as_mut() {
            machine.name = name.to_owned();
        }
        self
    }

    pub fn build(self) -> User {
        let mut user = User::new(&self.name, self.spec);
        user.metadata.namespace = Some(self.namespace);
        user
    }

    /// The resource as JSON, as a client would send it.
    pub fn json(self) -> Value {
        serde_json::to_value(self.build()).expect("User serializes")
    }

    fn human_mut(&mut self) -> &mut HumanSpec {
        self.spec
            .human
            .as_mut()
            .expect("this builder method applies to human users")
    }
}
