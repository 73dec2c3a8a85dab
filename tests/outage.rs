//! PostgreSQL going away while the server runs: the requests that need it get a clear
//! 503, the rest keep working, and service comes back by itself when the database does.
//! PostgreSQL only: SQLite is a file in the data dir and cannot go away on its own.

mod common;

use std::time::Duration;

use common::backend::{Backend, run_on};
use common::*;

#[test]
fn a_database_that_goes_away_gives_503_and_service_comes_back_by_itself() {
    run_on(Backend::Postgres, || {
        let server = Server::start();
        let (_, alice) = user(&server, "alice");
        let file = upload_put(&alice, "a.txt", b"still here");
        let db = server.database.as_ref().expect("a postgres database");

        // Refuse new connections to this database and cut the server's open ones.
        db.admin_query(&format!(
            "ALTER DATABASE {} WITH ALLOW_CONNECTIONS false",
            db.name()
        ));
        db.admin_query(&format!(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = '{}'",
            db.name()
        ));

        let started = std::time::Instant::now();
        alice
            .get("/api/files")
            .go()
            .expect_error(503, "unavailable");
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "a 503 took {:?}",
            started.elapsed()
        );
        server
            .anon()
            .get("/api/health")
            .go()
            .expect_error(503, "unavailable");
        // Pages need no database.
        server.anon().get("/").go().expect(200);

        db.admin_query(&format!(
            "ALTER DATABASE {} WITH ALLOW_CONNECTIONS true",
            db.name()
        ));
        let back = server.wait_for(Duration::from_secs(15), || {
            alice.get("/api/files").go().status == 200
        });
        assert!(
            back,
            "the server did not recover when the database came back"
        );
        assert_eq!(
            alice
                .get(&format!("/api/files/{}/content", id(&file)))
                .go()
                .expect(200)
                .body,
            b"still here"
        );
        server.anon().get("/api/health").go().expect(200);
    });
}
