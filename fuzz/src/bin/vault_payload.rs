fn main() {
    afl::fuzz!(|data: &[u8]| lifeboat_fuzz::vault_payload(data));
}
