fn main() {
    afl::fuzz!(|data: &[u8]| lifeboat_fuzz::backup_file(data));
}
