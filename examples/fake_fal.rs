//! The test suite's fake fal as a standalone process, for the interop script and benchmarks.
//! Prints its base URL (serve the API at <url>/api, the queue at <url>/queue, storage at <url>/rest,
//! docs at <url>/docs) and runs until killed. Loopback only.
#![allow(dead_code)]

#[path = "../tests/integration/support/fake_fal.rs"]
mod fake_fal;
#[path = "../tests/integration/support/fake_queue.rs"]
mod fake_queue;

use std::io::Write;

#[tokio::main]
async fn main() {
    let fake = fake_fal::FakeFal::start().await;
    println!("{}", fake.url);
    std::io::stdout().flush().expect("stdout");
    std::future::pending::<()>().await;
}
