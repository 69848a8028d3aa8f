use zitadel_emulator::UserState;

use crate::common::Fixture;

async fn act(fx: &Fixture, id: &str, action: &str) -> crate::common::Reply {
    fx.act(id, action).await
}

/// A human in `state`, set behind the API's back (v2 CreateUser never makes initial users).
async fn human_in(fx: &Fixture, state: UserState) -> String {
    let id = fx.human("alice").await;
    fx.emulator.update_user(&id, |user| user.state = state);
    id
}

#[tokio::test]
async fn a_deleted_user_is_not_found() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    let reply = fx.delete(&format!("/v2/users/{id}")).await;
    assert_eq!(reply.ok()["details"]["resourceOwner"], fx.org);
    fx.get(&format!("/v2/users/{id}"))
        .await
        .assert_error(404, 5, "QUERY-Dfbg2");
}

#[tokio::test]
async fn deleting_a_user_releases_its_username() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    fx.delete(&format!("/v2/users/{id}")).await.ok();
    fx.human("alice").await;
}

#[tokio::test]
async fn deleting_a_missing_user_is_not_found() {
    let fx = Fixture::start().await;
    fx.delete("/v2/users/nobody")
        .await
        .assert_error(404, 5, "QUERY-Dfbg2");
}

#[tokio::test]
async fn deactivate_and_reactivate_change_the_state() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    assert_eq!(
        act(&fx, &id, "deactivate").await.ok()["details"]["resourceOwner"],
        fx.org
    );
    assert_eq!(fx.user(&id).await["state"], "USER_STATE_INACTIVE");
    act(&fx, &id, "reactivate").await.ok();
    assert_eq!(fx.user(&id).await["state"], "USER_STATE_ACTIVE");
}

#[tokio::test]
async fn deactivating_an_inactive_user_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    act(&fx, &id, "deactivate").await.ok();
    act(&fx, &id, "deactivate")
        .await
        .assert_error(400, 9, "COMMAND-5gunjw0cd7");
}

#[tokio::test]
async fn deactivating_an_initial_user_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = human_in(&fx, UserState::Initial).await;
    act(&fx, &id, "deactivate")
        .await
        .assert_error(400, 9, "COMMAND-gvx4kct9r2");
}

#[tokio::test]
async fn reactivating_an_active_user_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    act(&fx, &id, "reactivate")
        .await
        .assert_error(400, 9, "COMMAND-s5qqcz97hf");
}

#[tokio::test]
async fn a_locked_user_can_be_deactivated_and_is_then_inactive() {
    let fx = Fixture::start().await;
    let id = human_in(&fx, UserState::Locked).await;
    act(&fx, &id, "deactivate").await.ok();
    assert_eq!(fx.user(&id).await["state"], "USER_STATE_INACTIVE");
}

#[tokio::test]
async fn reactivating_a_locked_user_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = human_in(&fx, UserState::Locked).await;
    act(&fx, &id, "reactivate")
        .await
        .assert_error(400, 9, "COMMAND-s5qqcz97hf");
}

#[tokio::test]
async fn locking_an_inactive_user_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = human_in(&fx, UserState::Inactive).await;
    act(&fx, &id, "lock")
        .await
        .assert_error(400, 9, "COMMAND-lgws8wtsqf");
}

#[tokio::test]
async fn an_initial_user_can_be_locked() {
    let fx = Fixture::start().await;
    let id = human_in(&fx, UserState::Initial).await;
    act(&fx, &id, "lock").await.ok();
    assert_eq!(fx.user(&id).await["state"], "USER_STATE_LOCKED");
}

#[tokio::test]
async fn unlocking_an_inactive_user_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = human_in(&fx, UserState::Inactive).await;
    act(&fx, &id, "unlock")
        .await
        .assert_error(400, 9, "COMMAND-olb9vb0oca");
}

#[tokio::test]
async fn lock_and_unlock_change_the_state() {
    let fx = Fixture::start().await;
    let id = fx.machine("bot").await;
    act(&fx, &id, "lock").await.ok();
    assert_eq!(fx.user(&id).await["state"], "USER_STATE_LOCKED");
    act(&fx, &id, "unlock").await.ok();
    assert_eq!(fx.user(&id).await["state"], "USER_STATE_ACTIVE");
}

#[tokio::test]
async fn locking_a_locked_user_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    act(&fx, &id, "lock").await.ok();
    act(&fx, &id, "lock")
        .await
        .assert_error(400, 9, "COMMAND-lgws8wtsqf");
}

#[tokio::test]
async fn unlocking_an_unlocked_user_is_a_failed_precondition() {
    let fx = Fixture::start().await;
    let id = fx.human("alice").await;
    act(&fx, &id, "unlock")
        .await
        .assert_error(400, 9, "COMMAND-olb9vb0oca");
}

#[tokio::test]
async fn state_changes_on_a_missing_user_are_not_found_with_each_commands_id() {
    let fx = Fixture::start().await;
    for (action, id) in [
        ("deactivate", "COMMAND-5gp2p62iin"),
        ("reactivate", "COMMAND-9hy5kzbuk6"),
        ("lock", "COMMAND-450yxuqrh1"),
        ("unlock", "COMMAND-x377t913pw"),
    ] {
        act(&fx, "nobody", action).await.assert_error(404, 5, id);
    }
}
