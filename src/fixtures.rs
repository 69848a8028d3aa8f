//! Test fixtures: `User` resources from a builder, so each test states only what it is about, and
//! the ZITADEL user such a resource leads to.
//!
//! Compiled for this crate's unit tests and, behind the `fixtures` feature, for the integration
//! tests and the benchmark; the operator binary is built without it.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::crd::{
    AccessTokenType, ClientSecretSpec, ConnectionKind, ConnectionRef, DeletionPolicy, DesiredState,
    EmailSpec, EmailVerification, ExpiringCredentialSpec, HumanSpec, IdpLinkSpec, InviteDelivery,
    InviteSpec, MachineCredentialsSpec, MachineSpec, PasskeyDelivery, PasskeyRegistrationSpec,
    PasswordSpec, PhoneSpec, PhoneVerification, ProfileSpec, SecretKeySelector, TotpSpec, User,
    UserSpec,
};
use crate::zitadel::types as wire;

/// Organization id used by fixtures unless a test picks another.
pub const ORG_ID: &str = "336392597046099971";

/// Builds `User` resources with sensible defaults: a human with a verified email.
#[derive(Clone)]
pub struct UserBuilder {
    name: String,
    namespace: String,
    uid: Option<String>,
    generation: Option<i64>,
    annotations: BTreeMap<String, String>,
    spec: UserSpec,
}

impl UserBuilder {
    /// A human user `name` in namespace `default`, organization [`ORG_ID`], email verified.
    pub fn human(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            namespace: "default".to_owned(),
            uid: None,
            generation: None,
            annotations: BTreeMap::new(),
            spec: UserSpec {
                connection_ref: None,
                organization_id: ORG_ID.to_owned(),
                user_id: None,
                username: None,
                metadata: BTreeMap::new(),
                deletion_policy: DeletionPolicy::Delete,
                adopt_existing: false,
                state: None,
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
                    invite: None,
                    passkey_registration: None,
                    idp_links: Vec::new(),
                    totp: None,
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
            credentials: None,
        });
        builder
    }

    /// The resource as the API server returns it once created: uid `uid-<name>`, generation 1.
    /// Controller unit tests start from there; integration tests create their users and let the
    /// (emulated) API server assign both.
    pub fn stored(mut self) -> Self {
        self.uid = Some(format!("uid-{}", self.name));
        self.generation = Some(1);
        self
    }

    /// Places the user in `namespace` instead of `default`.
    pub fn namespace(mut self, namespace: &str) -> Self {
        self.namespace = namespace.to_owned();
        self
    }

    /// Puts the user in `organization_id` instead of [`ORG_ID`].
    pub fn organization(mut self, organization_id: &str) -> Self {
        self.spec.organization_id = organization_id.to_owned();
        self
    }

    /// Asks for an explicit ZITADEL user id instead of the resource uid.
    pub fn user_id(mut self, user_id: &str) -> Self {
        self.spec.user_id = Some(user_id.to_owned());
        self
    }

    /// Asks for a login name instead of ZITADEL's default.
    pub fn username(mut self, username: &str) -> Self {
        self.spec.username = Some(username.to_owned());
        self
    }

    /// Adds one metadata entry; call again for more.
    pub fn metadata(mut self, key: &str, value: &str) -> Self {
        self.spec.metadata.insert(key.to_owned(), value.to_owned());
        self
    }

    /// What happens to the ZITADEL user when the resource is deleted.
    pub fn deletion_policy(mut self, policy: DeletionPolicy) -> Self {
        self.spec.deletion_policy = policy;
        self
    }

    /// Lets the operator take over an existing ZITADEL user with the same id or username.
    pub fn adopt_existing(mut self) -> Self {
        self.spec.adopt_existing = true;
        self
    }

    /// Replaces the default address and its verification (human users only).
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

    /// The link template ZITADEL's verification mail points to (human users only).
    pub fn email_url_template(mut self, template: &str) -> Self {
        self.human_mut().email.url_template = Some(template.to_owned());
        self
    }

    /// Gives the user a phone number verified as `verification` (human users only).
    pub fn phone(mut self, number: &str, verification: PhoneVerification) -> Self {
        self.human_mut().phone = Some(PhoneSpec {
            number: number.to_owned(),
            verification,
        });
        self
    }

    /// Replaces the default given name (human users only).
    pub fn given_name(mut self, given_name: &str) -> Self {
        self.human_mut().profile.given_name = given_name.to_owned();
        self
    }

    /// Replaces the default family name (human users only).
    pub fn family_name(mut self, family_name: &str) -> Self {
        self.human_mut().profile.family_name = family_name.to_owned();
        self
    }

    /// Has the operator generate an initial password, to be changed at first login.
    pub fn generated_password(mut self) -> Self {
        self.human_mut().password = Some(PasswordSpec {
            secret_ref: None,
            generate: Some(true),
            hashed: false,
            change_required: true,
        });
        self
    }

    /// Takes the initial password from key `key` of Secret `secret`.
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

    /// Replaces the default machine name (machine users only; ignored for humans).
    pub fn machine_name(mut self, name: &str) -> Self {
        if let Some(machine) = self.spec.machine.as_mut() {
            machine.name = name.to_owned();
        }
        self
    }

    /// Manages the user through the connection `kind`/`name` instead of the default one.
    pub fn connection(mut self, kind: ConnectionKind, name: &str) -> Self {
        self.spec.connection_ref = Some(ConnectionRef {
            kind,
            name: name.to_owned(),
        });
        self
    }

    /// Asks for `spec.state`.
    pub fn state(mut self, state: DesiredState) -> Self {
        self.spec.state = Some(state);
        self
    }

    /// Sets an annotation (the reissue and rotate annotations, say).
    pub fn annotation(mut self, name: &str, value: &str) -> Self {
        self.annotations.insert(name.to_owned(), value.to_owned());
        self
    }

    /// Invites the person, the code delivered as `delivery` (human users only).
    pub fn invite(mut self, delivery: InviteDelivery) -> Self {
        self.human_mut().invite = Some(InviteSpec {
            delivery,
            url_template: None,
            application_name: None,
        });
        self
    }

    /// Issues a passkey registration code, with the link built from `link_template` when given.
    pub fn passkey_registration(mut self, link_template: Option<&str>) -> Self {
        self.human_mut().passkey_registration = Some(PasskeyRegistrationSpec {
            delivery: PasskeyDelivery::ReturnCode,
            url_template: None,
            link_template: link_template.map(str::to_owned),
        });
        self
    }

    /// Links the user to an identity at `idp_id` (human users only).
    pub fn idp_link(mut self, idp_id: &str, user_id: &str) -> Self {
        self.human_mut().idp_links.push(IdpLinkSpec {
            idp_id: idp_id.to_owned(),
            user_id: user_id.to_owned(),
            user_name: user_id.to_owned(),
        });
        self
    }

    /// Takes a TOTP secret from key `key` of Secret `secret` (human users only).
    pub fn totp_from_secret(mut self, secret: &str, key: &str) -> Self {
        self.human_mut().totp = Some(TotpSpec {
            secret_ref: SecretKeySelector {
                name: secret.to_owned(),
                key: key.to_owned(),
            },
        });
        self
    }

    /// Gives the machine user a client secret.
    pub fn client_secret(mut self) -> Self {
        self.credentials_mut().client_secret = Some(ClientSecretSpec {});
        self
    }

    /// Gives the machine user a key `name` living `expires_after`, rotated `rotate_before` it
    /// expires (Go durations).
    pub fn key(mut self, name: &str, expires_after: &str, rotate_before: Option<&str>) -> Self {
        let key = expiring(name, expires_after, rotate_before);
        self.credentials_mut().keys.push(key);
        self
    }

    /// Gives the machine user a personal access token, like [`Self::key`].
    pub fn pat(mut self, name: &str, expires_after: &str, rotate_before: Option<&str>) -> Self {
        let token = expiring(name, expires_after, rotate_before);
        self.credentials_mut().personal_access_tokens.push(token);
        self
    }

    /// How long a rotated credential stays valid (Go duration).
    pub fn rotation_grace_period(mut self, period: &str) -> Self {
        self.credentials_mut().rotation_grace_period = Some(period.to_owned());
        self
    }

    /// Drops every machine credential from the spec.
    pub fn without_credentials(mut self) -> Self {
        if let Some(machine) = self.spec.machine.as_mut() {
            machine.credentials = None;
        }
        self
    }

    /// The `User` resource.
    pub fn build(self) -> User {
        let mut user = User::new(&self.name, self.spec);
        if !self.annotations.is_empty() {
            user.metadata.annotations = Some(self.annotations);
        }
        user.metadata.namespace = Some(self.namespace);
        user.metadata.uid = self.uid;
        user.metadata.generation = self.generation;
        user
    }

    /// The resource as JSON, as a client would send it.
    #[allow(
        clippy::expect_used,
        reason = "a fixture that cannot be built is a broken test: panicking is how it fails"
    )]
    pub fn json(self) -> Value {
        serde_json::to_value(self.build()).expect("User serializes")
    }

    #[allow(
        clippy::expect_used,
        reason = "a machine-only setter on a human user is a broken test: panicking is how it fails"
    )]
    fn credentials_mut(&mut self) -> &mut MachineCredentialsSpec {
        self.spec
            .machine
            .as_mut()
            .expect("this builder method applies to machine users")
            .credentials
            .get_or_insert_with(MachineCredentialsSpec::default)
    }

    #[allow(
        clippy::expect_used,
        reason = "a human-only setter on a machine user is a broken test: panicking is how it fails"
    )]
    fn human_mut(&mut self) -> &mut HumanSpec {
        self.spec
            .human
            .as_mut()
            .expect("this builder method applies to human users")
    }
}

/// A key or token spec `name` living `expires_after`, rotated `rotate_before` it expires.
pub fn expiring(
    name: &str,
    expires_after: &str,
    rotate_before: Option<&str>,
) -> ExpiringCredentialSpec {
    ExpiringCredentialSpec {
        name: name.to_owned(),
        expires_after: expires_after.to_owned(),
        rotate_before: rotate_before.map(str::to_owned),
    }
}

/// The ZITADEL user `user` describes, as GetUserByID would return it right after creation.
#[allow(
    clippy::expect_used,
    reason = "a fixture that cannot be built is a broken test: panicking is how it fails"
)]
pub fn zitadel_user_for(user: &User, user_id: &str) -> wire::User {
    let mut value = json!({
        "userId": user_id,
        "details": {"resourceOwner": user.spec.organization_id},
        "state": "USER_STATE_ACTIVE",
        "username": user_id,
    });
    if let Some(human) = &user.spec.human {
        value["username"] = json!(human.email.address);
        value["human"] = json!({
            "profile": {"givenName": human.profile.given_name, "familyName": human.profile.family_name},
            "email": {"email": human.email.address, "isVerified": true}
        });
    }
    if let Some(machine) = &user.spec.machine {
        value["machine"] = json!({"name": machine.name});
    }
    serde_json::from_value(value).expect("valid ZITADEL user")
}

/// A human made outside the operator (in the console, say), as a CreateUserRequest: id and
/// username `user_id`, email `<user_id>@example.com` with a returned code, no password.
pub fn console_user(org_id: &str, user_id: &str) -> wire::CreateUserRequest {
    wire::CreateUserRequest {
        organization_id: org_id.to_owned(),
        user_id: Some(user_id.to_owned()),
        username: Some(user_id.to_owned()),
        user_type: wire::CreateUserType::Human(wire::CreateHuman {
            profile: wire::SetHumanProfile {
                given_name: "Alice".into(),
                family_name: "Doe".into(),
                ..Default::default()
            },
            email: wire::SetHumanEmail {
                email: format!("{user_id}@example.com"),
                verification: Some(wire::EmailVerification::ReturnCode {}),
            },
            ..Default::default()
        }),
        metadata: Vec::new(),
    }
}
