//! Toolchains from a plain-http intranet module proxy: allowed, because
//! the checksum database verifies the zip (and gov says so); refused when
//! verification is off.

use crate::support;

use support::archive::small_go1_22_10;
use support::sumdb::Fixture;
use support::{ForwardProxy, Sandbox};

#[test]
fn a_plain_http_intranet_proxy_serves_verified_toolchains() {
    let fx = Fixture::start(
        "sum.intranet.test",
        [0x3c; 32],
        vec![small_go1_22_10().clone()],
        20,
    );
    let upstream = fx
        .base
        .trim_start_matches("http://")
        .parse()
        .unwrap_or_else(|e| panic!("{}: {e}", fx.base));
    // goproxy.corp.test is not loopback: reached through a forward proxy,
    // as an intranet host would be.
    let fwd = ForwardProxy::start(upstream);
    let sb = Sandbox::new();
    let install = |sumdb: &str| {
        sb.cmd()
            .env("GOPROXY", "http://goproxy.corp.test")
            .env("GOSUMDB", sumdb)
            .env("HTTP_PROXY", fwd.url())
            .env_remove("NO_PROXY")
            .env_remove("GOV_ALLOW_HTTP")
            .args(["install", "1.22.10", "--source", "proxy"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let out = install("off");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("GOSUMDB=off"), "{err}");
    assert!(sb.installed().is_empty());

    let out = install(&fx.vkey());
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("http://goproxy.corp.test/golang.org/toolchain/@v/v0.0.1-go1.22.10.linux-amd64.zip over plain http: allowed, since the checksum database verifies the zip"),
        "{err}"
    );
    assert!(
        err.contains("verified by checksum database sum.intranet.test"),
        "{err}"
    );
    assert_eq!(sb.installed(), vec!["1.22.10"]);
    assert!(
        fwd.seen()
            .iter()
            .any(|u| u.starts_with("http://goproxy.corp.test/")),
        "{:?}",
        fwd.seen()
    );
}
