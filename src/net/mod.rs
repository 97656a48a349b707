//! The network: one HTTP policy for every download (https unless loopback
//! or opted in, proxies, `.netrc`, retries, mirror failover, resumable
//! bodies), the revalidating cache shape the release index and the
//! vulnerability database share (`cache`), and the release index.
//! Uses `core` only.

pub mod cache;
pub mod error;
pub mod explain;
pub mod http;
pub mod index;
pub mod netrc;
