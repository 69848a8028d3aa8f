use serde_json::json;

use crate::common::{BCRYPT_HASH, Fixture, b64, human_request, machine_request, with, without};

#[tokio::test]
async fn creating_a_human_returns_its_id_and_creation_date() {
    let fx = Fixture::start().await;
    let reply = fx
        .create(with(human_request(&fx.org), "userId", json!("app-alice")))
        .await;
    let body = reply.ok();
    assert_eq!(body["id"], "app-alice");
    assert!(
        body["creationDate"]
            .as_str()
            .unwrap()
            .parse::<jiff::Timestamp>()
            .is_ok()
    );
    assert!(body.get("emailCode").is_none());
}

#[tokio::test]
async fn a_generated_user_id_is_an_eighteen_digit_number() {
    let fx = Fixture::start().await;
    let id = fx.create_ok(machine_request(&fx.org)).await;
    assert_eq!(id.len(), 18);
    assert!(id.chars().all(|c| c.is_ascii_digit()));
}

#[tokio::test]
async fn reusing_a_human_user_id_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let body = with(human_request(&fx.org), "userId", json!("u1"));
    fx.create_ok(body.clone()).await;
    let again = with(body, "username", json!("other"));
    fx.create(again)
        .await
        .assert_error(400, 9, "COMMAND-7yiox1isql");
}

#[tokio::test]
async fn reusing_a_machine_user_id_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let body = with(machine_request(&fx.org), "userId", json!("m1"));
    fx.create_ok(body.clone()).await;
    fx.create(with(body, "username", json!("other")))
        .await
        .assert_error(400, 9, "COMMAND-k2una");
}

#[tokio::test]
async fn an_unknown_organization_is_a_failed_precondition_for_humans_and_machines() {
    let fx = Fixture::start().await;
    fx.create(human_request("no-such-org"))
        .await
        .assert_error(400, 9, "COMMAND-QXPGs");
    fx.create(machine_request("no-such-org"))
        .await
        .assert_error(400, 9, "COMMAND-QXPGs");
}

#[tokio::test]
async fn a_missing_organization_id_is_invalid() {
    let fx = Fixture::start().await;
    fx.create(without(human_request(&fx.org), "/organizationId"))
        .await
        .assert_invalid("CreateUserRequest.OrganizationId");
}

#[tokio::test]
async fn usernames_are_unique_case_insensitively_in_the_instance() {
    let fx = Fixture::start().await;
    fx.human("Alice").await;
    let other_org = fx.emulator.create_organization("other");
    let clash = with(machine_request(&other_org), "username", json!("aLiCe"));
    fx.create(clash).await.assert_error(409, 6, "V3-DKcYh");
}

#[tokio::test]
async fn the_username_defaults_to_the_email_for_humans() {
    let fx = Fixture::start().await;
    let id = fx.create_ok(human_request(&fx.org)).await;
    assert_eq!(fx.user(&id).await["username"], "alice@example.com");
}

#[tokio::test]
async fn the_username_defaults_to_the_user_id_for_machines() {
    let fx = Fixture::start().await;
    let id = fx.create_ok(machine_request(&fx.org)).await;
    assert_eq!(fx.user(&id).await["username"], id);
}

#[tokio::test]
async fn neither_human_nor_machine_is_invalid() {
    let fx = Fixture::start().await;
    let reply = fx.create(json!({"organizationId": fx.org})).await;
    reply.assert_invalid("invalid CreateUserRequest.UserType: value is required");
}

#[tokio::test]
async fn both_human_and_machine_is_invalid() {
    let fx = Fixture::start().await;
    let body = with(human_request(&fx.org), "machine", json!({"name": "x"}));
    fx.create(body).await.assert_invalid("UserType");
}

#[tokio::test]
async fn a_missing_given_name_is_invalid() {
    let fx = Fixture::start().await;
    fx.create(without(human_request(&fx.org), "/human/profile/givenName"))
        .await
        .assert_invalid("GivenName");
}

#[tokio::test]
async fn a_family_name_over_200_characters_is_invalid() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/profile/familyName",
        json!("x".repeat(201)),
    );
    fx.create(body)
        .await
        .assert_invalid("between 1 and 200 runes");
}

#[tokio::test]
async fn a_missing_email_is_invalid() {
    let fx = Fixture::start().await;
    fx.create(without(human_request(&fx.org), "/human/email"))
        .await
        .assert_invalid("Email");
}

#[tokio::test]
async fn a_malformed_email_is_invalid() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/email",
        json!({"email": "not-an-address"}),
    );
    fx.create(body).await.assert_error(400, 3, "EMAIL-599BI");
}

#[tokio::test]
async fn a_machine_without_name_is_invalid() {
    let fx = Fixture::start().await;
    fx.create(json!({"organizationId": fx.org, "machine": {}}))
        .await
        .assert_invalid("Machine.Name");
}

#[tokio::test]
async fn return_code_returns_six_character_email_and_phone_codes() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/email",
        json!({"email": "a@example.com", "returnCode": {}}),
    );
    let body = with(
        body,
        "/human/phone",
        json!({"phone": "+41791234567", "returnCode": {}}),
    );
    let reply = fx.create(body).await;
    for field in ["emailCode", "phoneCode"] {
        let code = reply.ok()[field].as_str().unwrap();
        assert_eq!(code.len(), 6);
        assert!(
            code.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
            "{code}"
        );
    }
}

#[tokio::test]
async fn send_code_returns_no_code() {
    let fx = Fixture::start().await;
    let template = "https://example.com/verify?userID={{.UserID}}&code={{.Code}}&orgID={{.OrgID}}";
    let email = json!({"email": "a@example.com", "sendCode": {"urlTemplate": template}});
    let reply = fx
        .create(with(human_request(&fx.org), "/human/email", email))
        .await;
    assert!(reply.ok().get("emailCode").is_none());
}

#[tokio::test]
async fn a_url_template_with_unknown_fields_is_invalid() {
    let fx = Fixture::start().await;
    let email =
        json!({"email": "a@example.com", "sendCode": {"urlTemplate": "https://x/{{.Password}}"}});
    fx.create(with(human_request(&fx.org), "/human/email", email))
        .await
        .assert_error(400, 3, "DOMAIN-ieYa7");
}

#[tokio::test]
async fn an_unparsable_url_template_is_invalid() {
    let fx = Fixture::start().await;
    let email = json!({"email": "a@example.com", "sendCode": {"urlTemplate": "https://x/{{.Code"}});
    fx.create(with(human_request(&fx.org), "/human/email", email))
        .await
        .assert_error(400, 3, "DOMAIN-oGh5e");
}

#[tokio::test]
async fn two_email_verification_choices_are_invalid() {
    let fx = Fixture::start().await;
    let email = json!({"email": "a@example.com", "returnCode": {}, "isVerified": true});
    fx.create(with(human_request(&fx.org), "/human/email", email))
        .await
        .assert_invalid("Verification");
}

#[tokio::test]
async fn a_phone_with_is_verified_false_is_invalid() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/phone",
        json!({"phone": "+41791234567", "isVerified": false}),
    );
    fx.create(body)
        .await
        .assert_invalid("IsVerified: value must equal true");
}

#[tokio::test]
async fn a_bcrypt_hashed_password_is_accepted() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/hashedPassword",
        json!({"hash": BCRYPT_HASH, "changeRequired": true}),
    );
    let id = fx.create_ok(body).await;
    assert_eq!(fx.user(&id).await["human"]["passwordChangeRequired"], true);
}

#[tokio::test]
async fn a_hash_of_unknown_shape_is_invalid() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/hashedPassword",
        json!({"hash": "5f4dcc3b5aa765d61d8327deb882cf99"}),
    );
    fx.create(body).await.assert_error(400, 3, "COMMAND-JDk4t");
}

#[tokio::test]
async fn a_password_and_a_hash_together_are_invalid() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/hashedPassword",
        json!({"hash": BCRYPT_HASH}),
    );
    let body = with(body, "/human/password", json!({"password": "Sup3r-Secret"}));
    fx.create(body).await.assert_invalid("PasswordType");
}

#[tokio::test]
async fn a_weak_password_fails_the_default_complexity_policy() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/password",
        json!({"password": "password"}),
    );
    fx.create(body).await.assert_error(400, 3, "DOMAIN-VoaRj");
}

#[tokio::test]
async fn root_metadata_is_stored() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "metadata",
        json!([{"key": "k8s-uid", "value": b64(b"abcd")}]),
    );
    let id = fx.create_ok(body).await;
    assert_eq!(fx.emulator.user_metadata(&id)["k8s-uid"], b"abcd");
}

#[tokio::test]
async fn human_and_root_metadata_together_are_invalid() {
    let fx = Fixture::start().await;
    let entry = json!([{"key": "a", "value": b64(b"1")}]);
    let body = with(
        with(human_request(&fx.org), "metadata", entry.clone()),
        "/human/metadata",
        entry,
    );
    fx.create(body).await.assert_invalid("Metadata");
}

#[tokio::test]
async fn idp_links_given_at_creation_are_stored() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/idpLinks",
        json!([{"idpId": "idp-1", "userId": "ext-1", "userName": "alice@idp"}]),
    );
    let id = fx.create_ok(body).await;
    let links = fx.emulator.idp_links(&id);
    assert_eq!(links.len(), 1);
    assert_eq!(
        (
            links[0].idp_id.as_str(),
            links[0].user_id.as_str(),
            links[0].user_name.as_str()
        ),
        ("idp-1", "ext-1", "alice@idp")
    );
}

#[tokio::test]
async fn a_totp_secret_given_at_creation_is_stored() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/totpSecret",
        json!("JBSWY3DPEHPK3PXP"),
    );
    let id = fx.create_ok(body).await;
    assert!(fx.emulator.has_totp(&id));
    assert!(!fx.emulator.has_totp(&fx.human("bob").await));
}

#[tokio::test]
async fn an_empty_totp_secret_is_invalid() {
    let fx = Fixture::start().await;
    let body = with(human_request(&fx.org), "/human/totpSecret", json!(""));
    fx.create(body).await.assert_invalid("TotpSecret");
}

#[tokio::test]
async fn a_totp_secret_over_200_characters_is_invalid() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/totpSecret",
        json!("A".repeat(201)),
    );
    fx.create(body).await.assert_invalid("TotpSecret");
}

#[tokio::test]
async fn an_idp_link_field_over_200_characters_is_invalid() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/idpLinks",
        json!([{"idpId": "i", "userId": "u", "userName": "n"}, {"idpId": "i".repeat(201), "userId": "u", "userName": "n"}]),
    );
    fx.create(body).await.assert_invalid("IdpLinks[1].IdpId");
}

#[tokio::test]
async fn an_idp_link_with_an_empty_field_is_invalid() {
    let fx = Fixture::start().await;
    let body = with(
        human_request(&fx.org),
        "/human/idpLinks",
        json!([{"idpId": "i", "userId": "", "userName": "n"}]),
    );
    fx.create(body).await.assert_invalid("IdpLinks[0].UserId");
}
