//! `corridor-relay`: the Corridor relay server.
#![forbid(unsafe_code)]

fn main() {
    println!("corridor-relay: not yet built");
}
