//! The network: one HTTP policy for every download (https unless loopback
//! or opted in, proxies, `.netrc`, retries, mirror failover, resumable
//! bodies) and the release index with its revalidated cache.
//! Uses `core` only.

pub mod explain;
pub mod http;
pub mod index;
pub mod netrc;
