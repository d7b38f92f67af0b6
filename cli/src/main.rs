//! `corridor`: the Corridor command line.
#![forbid(unsafe_code)]

fn main() {
    println!("corridor: not yet built");
}
