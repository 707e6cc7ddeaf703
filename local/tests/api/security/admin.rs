//! The admin role: the admin route refuses customers (403) and anonymous callers (401).

use super::Api;
use crate::support::*;
use shared::auth::tokens::Role;

#[tokio::test]
async fn the_admin_route_refuses_customers_and_anonymous_callers() {
    within(60, async {
        let stack = TestStack::new().await;
        let api = Api::new(&stack).await;
        let net = Network::new(&stack).await;
        let flight = net.flight("XY1", "AAA", "DDD", 6 * 60, 120, 250000).await;
        let (_, customer_token) = customer(&stack, "not-admin@example.com").await;
        let path = format!("/api/admin/flights/{flight}/cancel");
        api.call("POST", &path, Some(&customer_token), None).await.assert_problem(403, "FORBIDDEN");
        api.call("POST", &path, None, None).await.assert_problem(401, "UNAUTHORIZED");
        let status: String =
            net.db.query_one("SELECT status FROM flights WHERE id = $1", &[&flight]).await.unwrap().get(0);
        assert_eq!(status, "SCHEDULED");
        let admin = stack.create_admin("admin@flightbook.local", "admin-change-me-42").await;
        let admin_token = stack.services.tokens.issue(admin, Role::Admin).unwrap().token;
        let answer = api.call("POST", &path, Some(&admin_token), None).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
    })
    .await
}
