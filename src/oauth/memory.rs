//! The sign-in's only memory: codes and refresh tokens already used, sign-ins revoked after a
//! replay, and sign-in attempts per address. Everything else travels sealed. In this process by
//! default (one instance's memory), or in Redis (`FAL_MCP_REDIS_URL`) so that every instance
//! behind a load balancer, or every cold start on a serverless host, sees the same memory.
//!
//! When Redis cannot be reached (within [`DEADLINE`]) the answer is [`Unavailable`]: the callers
//! then refuse to exchange a code, refresh or sign in (fail closed: a replay never passes
//! unseen), while access tokens on /mcp keep working until they expire (see `OAuth::key_from_token`).

use std::time::Duration;

use moka::future::Cache;
use redis::{AsyncCommands, aio::ConnectionManager};
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::http::counts::WindowCounts;

/// Longest a Redis command may take before the memory counts as unavailable.
const DEADLINE: Duration = Duration::from_secs(1);

/// What a remembered id is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Space {
    /// An authorization code's id, once exchanged.
    Code,
    /// A refresh token's id, once rotated.
    Refresh,
    /// A sign-in (family) whose tokens are all refused.
    Revoked,
    /// Sign-in attempts from one address.
    Attempts,
}

impl Space {
    fn name(self) -> &'static str {
        match self {
            Space::Code => "code",
            Space::Refresh => "refresh",
            Space::Revoked => "revoked",
            Space::Attempts => "attempts",
        }
    }
}

/// The replay memory could not be read or written in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unavailable;

pub(crate) enum Memory {
    Local(Local),
    Redis(Shared),
}

pub(crate) struct Local {
    used: Cache<(u8, String), ()>,
    revoked: Cache<String, ()>,
    attempts: WindowCounts,
}

pub(crate) struct Shared {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
}

impl Memory {
    /// In-process memory; entries live `longest` at most (the refresh token's lifetime).
    pub(crate) fn local(longest: Duration, attempt_window: Duration) -> Self {
        Memory::Local(Local {
            used: Cache::builder().max_capacity(300_000).time_to_live(longest).build(),
            revoked: Cache::builder().max_capacity(100_000).time_to_live(longest).build(),
            attempts: WindowCounts::new(attempt_window),
        })
    }

    /// Memory in the Redis at `url` (redis:// or rediss://); it connects on first use.
    pub(crate) fn redis(url: &str) -> Result<Self, String> {
        crate::tls::install();
        let client =
            redis::Client::open(url).map_err(|e| format!("FAL_MCP_REDIS_URL cannot be used: {:?}", e.kind()))?;
        Ok(Memory::Redis(Shared { client, connection: OnceCell::new() }))
    }

    /// Records `id` as used for `ttl`; true when this was its first use.
    pub(crate) async fn first_use(&self, space: Space, id: &str, ttl: Duration) -> Result<bool, Unavailable> {
        match self {
            Memory::Local(local) => {
                let entry = local.used.entry((space as u8, id.to_string())).or_insert(()).await;
                Ok(entry.is_fresh())
            }
            Memory::Redis(shared) => {
                let key = key(space, id);
                let set: Option<String> = shared
                    .run(|mut c| async move {
                        redis::cmd("SET").arg(&key).arg(1).arg("NX").arg("EX").arg(secs(ttl)).query_async(&mut c).await
                    })
                    .await?;
                Ok(set.is_some())
            }
        }
    }

    /// Refuses every token of the sign-in `family` for `ttl`.
    pub(crate) async fn revoke(&self, family: &str, ttl: Duration) -> Result<(), Unavailable> {
        match self {
            Memory::Local(local) => {
                local.revoked.insert(family.to_string(), ()).await;
                Ok(())
            }
            Memory::Redis(shared) => {
                let key = key(Space::Revoked, family);
                shared.run(|mut c| async move { c.set_ex::<_, _, ()>(&key, 1, secs(ttl)).await }).await
            }
        }
    }

    pub(crate) async fn is_revoked(&self, family: &str) -> Result<bool, Unavailable> {
        match self {
            Memory::Local(local) => Ok(local.revoked.contains_key(family)),
            Memory::Redis(shared) => {
                let key = key(Space::Revoked, family);
                shared.run(|mut c| async move { c.exists::<_, bool>(&key).await }).await
            }
        }
    }

    /// Counts one more event for `who` in a window of `window` (which starts at its first event);
    /// the count including this one.
    pub(crate) async fn count(&self, space: Space, who: &str, window: Duration) -> Result<u32, Unavailable> {
        match self {
            Memory::Local(local) => Ok(local.attempts.add(format!("{}:{who}", space.name())).await),
            Memory::Redis(shared) => {
                let key = key(space, who);
                // SET NX starts the window with its expiry; INCR keeps it.
                let (count,): (u32,) = shared
                    .run(|mut c| async move {
                        redis::pipe()
                            .atomic()
                            .cmd("SET")
                            .arg(&key)
                            .arg(0)
                            .arg("NX")
                            .arg("EX")
                            .arg(secs(window))
                            .ignore()
                            .incr(&key, 1)
                            .query_async(&mut c)
                            .await
                    })
                    .await?;
                Ok(count)
            }
        }
    }

    /// Where the memory lives, for the start-up log line.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Memory::Local(_) => "this process (one instance's memory)",
            Memory::Redis(_) => "Redis (shared by every instance)",
        }
    }
}

impl Shared {
    /// Runs one command on the shared connection within [`DEADLINE`], connecting first if needed.
    async fn run<T, F, Fut>(&self, command: F) -> Result<T, Unavailable>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let attempt = async {
            let connection = self
                .connection
                .get_or_try_init(|| async {
                    let config = redis::aio::ConnectionManagerConfig::new()
                        .set_connection_timeout(Some(DEADLINE))
                        .set_response_timeout(Some(DEADLINE))
                        .set_number_of_retries(1);
                    ConnectionManager::new_with_config(self.client.clone(), config).await
                })
                .await?;
            command(connection.clone()).await
        };
        match tokio::time::timeout(DEADLINE * 2, attempt).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => {
                tracing::warn!(kind = ?e.kind(), "replay memory: Redis refused or failed a command");
                crate::metrics::redis_failure();
                Err(Unavailable)
            }
            Err(_) => {
                tracing::warn!("replay memory: Redis did not answer in time");
                crate::metrics::redis_failure();
                Err(Unavailable)
            }
        }
    }
}

/// A Redis key: the space and a digest of the id (ids and addresses never sit in Redis as they are).
fn key(space: Space, id: &str) -> String {
    let digest = Sha256::digest(id.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("falmcp:{}:{hex}", space.name())
}

fn secs(duration: Duration) -> u64 {
    duration.as_secs().max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_memory_sees_a_second_use_and_counts_attempts() {
        let memory = Memory::local(Duration::from_secs(60), Duration::from_secs(60));
        assert_eq!(memory.first_use(Space::Code, "a", Duration::from_secs(60)).await, Ok(true));
        assert_eq!(memory.first_use(Space::Code, "a", Duration::from_secs(60)).await, Ok(false));
        assert_eq!(memory.first_use(Space::Refresh, "a", Duration::from_secs(60)).await, Ok(true), "spaces apart");
        assert_eq!(memory.is_revoked("f").await, Ok(false));
        memory.revoke("f", Duration::from_secs(60)).await.unwrap();
        assert_eq!(memory.is_revoked("f").await, Ok(true));
        for n in 1..=3 {
            assert_eq!(memory.count(Space::Attempts, "192.0.2.1", Duration::from_secs(60)).await, Ok(n));
        }
        assert_eq!(memory.count(Space::Attempts, "192.0.2.2", Duration::from_secs(60)).await, Ok(1));
    }

    #[test]
    fn redis_keys_hold_digests_not_ids() {
        let k = key(Space::Attempts, "198.51.100.7");
        assert!(k.starts_with("falmcp:attempts:") && !k.contains("198.51"), "{k}");
        assert_ne!(key(Space::Code, "x"), key(Space::Refresh, "x"));
    }
}
