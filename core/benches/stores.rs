//! Store throughput and latency: `create_session` and `refresh` on every store with 1, 8 and 64 concurrent
//! callers (std threads sharing one `SessionManager`), next to the floors of the network stores: a plain
//! single-row `UPDATE … RETURNING` on the same PostgreSQL server and a plain Redis `SET` round trip, at the
//! same concurrencies. Not Criterion: it measures one operation at a time and has no notion of concurrency.
//!
//! ```sh
//! cargo bench -p sessionward --features postgres,redis --bench stores            # ~2 s per cell
//! SESSIONWARD_BENCH_SECONDS=5 cargo bench -p sessionward --features postgres,redis --bench stores
//! ```
//!
//! Servers from `SESSIONWARD_POSTGRES_URL` / `SESSIONWARD_REDIS_URL` (the test defaults); a server that does not
//! answer is left out with a note. Every run uses its own table and key prefix and removes them at the end.
//! Each network store gets a pool of one connection per caller, and so does each floor, so no caller waits for
//! a connection. Output: one Markdown row per store and operation, cells `ops/s (p50 / p99 ms)`.

use sessionward::{
    Config, MemoryStore, NewSession, PostgresOptions, PostgresStore, RedisOptions, RedisStore, SessionManager,
    SessionStore, SqliteStore,
};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const CALLERS: [usize; 3] = [1, 8, 64];

fn env(name: &str, default: &str) -> String {
    std::env::var(name).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| default.into())
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// What one cell measured.
struct Cell {
    ops: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = |q: f64| {
            let i = ((self.latencies.len() as f64 * q).ceil() as usize).clamp(1, self.latencies.len()) - 1;
            self.latencies[i].as_secs_f64() * 1e3
        };
        let rate = self.ops as f64 / self.elapsed.as_secs_f64();
        write!(f, "{rate:.0}/s ({:.2} / {:.2} ms)", at(0.50), at(0.99))
    }
}

/// Run `op` on `callers` threads for `seconds`, all released at once. `setup(i)` prepares thread `i`'s state
/// (not timed); `op(&mut state)` is one timed operation.
fn measure<S>(callers: usize, seconds: f64, setup: impl Fn(usize) -> S + Sync, op: impl Fn(&mut S) + Sync) -> Cell {
    let barrier = Barrier::new(callers + 1);
    let duration = Duration::from_secs_f64(seconds);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..callers)
            .map(|i| {
                let (barrier, setup, op) = (&barrier, &setup, &op);
                scope.spawn(move || {
                    let mut state = setup(i);
                    let mut latencies = Vec::new();
                    barrier.wait();
                    let start = Instant::now();
                    while start.elapsed() < duration {
                        let t = Instant::now();
                        op(&mut state);
                        latencies.push(t.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        let mut latencies: Vec<Duration> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
        let elapsed = start.elapsed();
        latencies.sort_unstable();
        Cell { ops: latencies.len(), elapsed, latencies }
    })
}

fn manager(store: Arc<dyn SessionStore>) -> Arc<SessionManager> {
    let m = SessionManager::new(Config::new("https://auth.example.com", "example-api"), store).unwrap();
    m.ensure_keys(now()).unwrap();
    Arc::new(m)
}

fn new_session(i: usize) -> NewSession {
    let mut new = NewSession::for_user(format!("user-{i}"));
    new.access_claims.insert("role".into(), "editor".into());
    new
}

/// The create and refresh rows of one store: a fresh store (from `open(callers)`) per cell.
fn store_rows(name: &str, seconds: f64, open: &dyn Fn(usize) -> Arc<dyn SessionStore>) {
    let mut create = Vec::new();
    let mut refresh = Vec::new();
    for callers in CALLERS {
        let m = manager(open(callers));
        create.push(measure(
            callers,
            seconds,
            |i| i,
            |i| {
                m.create_session(new_session(*i), now()).unwrap();
            },
        ));
        // Each caller rotates its own session's chain: every call is a real rotation, never a grace retry.
        refresh.push(measure(
            callers,
            seconds,
            |i| m.create_session(new_session(i), now()).unwrap().refresh_token,
            |token| *token = m.refresh(token, now()).unwrap().refresh_token,
        ));
    }
    row(name, "create", &create);
    row(name, "refresh", &refresh);
}

fn row(store: &str, op: &str, cells: &[Cell]) {
    let cells: Vec<String> = cells.iter().map(Cell::to_string).collect();
    println!("| Rust | {store} | {op} | {} |", cells.join(" | "));
}

fn unique_prefix() -> String {
    format!(
        "swbench_{:x}_{:x}_",
        std::process::id(),
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos()
    )
}

fn postgres(url: &str, prefix: &str, seconds: f64) {
    let options = |pool_size| PostgresOptions { pool_size, table_prefix: prefix.into(), ..PostgresOptions::new(url) };
    if let Err(err) = PostgresStore::open(options(1)) {
        eprintln!("PostgreSQL left out: {err}");
        return;
    }
    store_rows("PostgreSQL", seconds, &|callers| {
        Arc::new(PostgresStore::open(options(callers as u32)).unwrap()) as Arc<dyn SessionStore>
    });
    // The floor: one row per caller, each updated by one statement on the caller's own connection.
    let connect = || postgres::Client::connect(url, postgres::NoTls).unwrap();
    let table = format!("{prefix}floor");
    let mut admin = connect();
    admin
        .batch_execute(&format!(
            "CREATE TABLE {table} (id INTEGER PRIMARY KEY, n BIGINT NOT NULL);
             INSERT INTO {table} SELECT g, 0 FROM generate_series(0, 63) g;"
        ))
        .unwrap();
    let update = format!("UPDATE {table} SET n = n + 1 WHERE id = $1 RETURNING n");
    let cells: Vec<Cell> = CALLERS
        .iter()
        .map(|&callers| {
            measure(
                callers,
                seconds,
                |i| (connect(), i as i32),
                |(client, id)| {
                    client.query_one(&update, &[&*id]).unwrap();
                },
            )
        })
        .collect();
    row("PostgreSQL floor: `UPDATE … RETURNING`", "1 statement", &cells);
    let tables = ["floor", "sessions", "keys", "schema_migrations"].map(|t| format!("{prefix}{t}")).join(", ");
    admin.batch_execute(&format!("DROP TABLE IF EXISTS {tables}")).unwrap();
}

fn redis(url: &str, prefix: &str, seconds: f64) {
    let options = |pool_size| RedisOptions { pool_size, key_prefix: prefix.into(), ..RedisOptions::new(url) };
    if let Err(err) = RedisStore::open(options(1)) {
        eprintln!("Redis left out: {err}");
        return;
    }
    store_rows("Redis", seconds, &|callers| {
        Arc::new(RedisStore::open(options(callers as u32)).unwrap()) as Arc<dyn SessionStore>
    });
    let client = ::redis::Client::open(url).unwrap();
    let cells: Vec<Cell> = CALLERS
        .iter()
        .map(|&callers| {
            measure(
                callers,
                seconds,
                |i| (client.get_connection().unwrap(), format!("{prefix}floor:{i}")),
                |(conn, key)| {
                    ::redis::cmd("SET").arg(&*key).arg("0123456789abcdef").query::<()>(conn).unwrap();
                },
            )
        })
        .collect();
    row("Redis floor: `SET`", "1 command", &cells);
    // Remove everything under the prefix.
    let mut conn = client.get_connection().unwrap();
    let keys: Vec<String> = ::redis::cmd("KEYS").arg(format!("{prefix}*")).query(&mut conn).unwrap();
    for chunk in keys.chunks(500) {
        ::redis::cmd("DEL").arg(chunk).query::<()>(&mut conn).unwrap();
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing and expects a quick check.
    let quick = !std::env::args().any(|a| a == "--bench");
    let seconds: f64 = if quick { 0.05 } else { env("SESSIONWARD_BENCH_SECONDS", "2").parse().unwrap() };
    let postgres_url = env("SESSIONWARD_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test");
    let redis_url = env("SESSIONWARD_REDIS_URL", "redis://127.0.0.1:6379/");
    let prefix = unique_prefix();
    println!("{seconds} s per cell; cells: ops/s (p50 / p99 latency)\n");
    println!("| binding | store | operation | 1 caller | 8 callers | 64 callers |");
    println!("|---|---|---|---|---|---|");
    store_rows("memory", seconds, &|_| Arc::new(MemoryStore::new()) as Arc<dyn SessionStore>);
    let dir = tempfile::tempdir().unwrap();
    let files = std::sync::atomic::AtomicUsize::new(0);
    store_rows("SQLite (file, WAL)", seconds, &|_| {
        let n = files.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Arc::new(SqliteStore::open(dir.path().join(format!("s{n}.db"))).unwrap()) as Arc<dyn SessionStore>
    });
    postgres(&postgres_url, &prefix, seconds);
    redis(&redis_url, &prefix.replace('_', ":"), seconds);
}
