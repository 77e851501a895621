//! The test suite's fake fal as a standalone process, for the interop script and benchmarks.
//! Prints its base URL (serve the API at <url>/api, the queue at <url>/queue, storage at <url>/rest,
//! docs at <url>/docs) and runs until killed. Loopback only.
#![allow(dead_code, unused_imports)]

#[path = "../tests/integration/support/fake/mod.rs"]
mod fake;

use std::io::Write;

#[tokio::main]
async fn main() {
    let fake = fake::FakeFal::start().await;
    println!("{}", fake.url);
    std::io::stdout().flush().expect("stdout");
    std::future::pending::<()>().await;
}
