fn main() {
    afl::fuzz!(|data: &[u8]| lifeboat_fuzz::settings_text(data));
}
