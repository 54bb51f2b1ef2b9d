//! Property tests of the rotation state machine: random interleavings of refresh, retry, replay, revoke and
//! the passing of time, checked against a small model. Never two live chains; theft only on a true replay.

use proptest::prelude::*;
use sessionward::{Config, Error, MemoryStore, NewSession, SessionManager};

const START: i64 = 1_700_000_000;
const GRACE: i64 = 60;

#[derive(Debug, Clone)]
enum Op {
    /// Present the token `back` generations behind the newest one issued (0 = current).
    Present { back: usize },
    /// Let time pass.
    Wait { seconds: i64 },
    /// Revoke the session.
    Revoke,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0usize..4).prop_map(|back| Op::Present { back }),
        2 => (0i64..120).prop_map(|seconds| Op::Wait { seconds }),
        // Land exactly on and just inside the grace boundary after a rotation.
        1 => prop_oneof![Just(GRACE), Just(GRACE - 1)].prop_map(|seconds| Op::Wait { seconds }),
        1 => Just(Op::Revoke),
    ]
}

/// What the model expects of one presentation.
#[derive(Debug, PartialEq)]
enum Expected {
    NewToken,
    SameSuccessor(String),
    Theft,
    Unauthorised,
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn rotation_matches_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let mut config = Config::new("https://auth.test", "api");
        config.grace_period = GRACE;
        let manager = SessionManager::new(config, MemoryStore::new()).unwrap();
        let mut now = START;
        let issued = manager.create_session(NewSession::for_user("u"), now).unwrap();
        // chain[g] is the token of generation g; the model of the server's state.
        let mut chain = vec![issued.refresh_token];
        let mut rotated_at = now;
        let mut alive = true;

        for op in ops {
            match op {
                Op::Wait { seconds } => now += seconds,
                Op::Revoke => {
                    manager.revoke(&issued.session.handle).unwrap();
                    alive = false;
                }
                Op::Present { back } => {
                    let current = chain.len() - 1;
                    let generation = current.saturating_sub(back);
                    let expected = if !alive {
                        Expected::Unauthorised
                    } else if generation == current {
                        Expected::NewToken
                    } else if generation + 1 == current && now < rotated_at + GRACE {
                        Expected::SameSuccessor(chain[current].clone())
                    } else {
                        Expected::Theft
                    };
                    let result = manager.refresh(&chain[generation], now);
                    match (&expected, result) {
                        (Expected::NewToken, Ok(tokens)) => {
                            prop_assert!(!chain.contains(&tokens.refresh_token), "a rotation never repeats a token");
                            chain.push(tokens.refresh_token);
                            rotated_at = now;
                        }
                        (Expected::SameSuccessor(successor), Ok(tokens)) => {
                            prop_assert_eq!(&tokens.refresh_token, successor, "retry converges on one chain");
                        }
                        (Expected::Theft, Err(Error::TokenTheft { user_id, .. })) => {
                            prop_assert_eq!(user_id, "u");
                            alive = false;
                        }
                        (Expected::Unauthorised, Err(err)) => prop_assert_eq!(err.code(), "unauthorised"),
                        (expected, got) => {
                            prop_assert!(false, "generation {} of {}: expected {:?}, got {:?}", generation, current, expected, got.map(|t| t.refresh_token));
                        }
                    }
                    // A live session always has exactly one chain: the newest token is the one that works.
                    prop_assert_eq!(manager.list_sessions("u", now).unwrap().len(), usize::from(alive));
                }
            }
        }
    }
}
