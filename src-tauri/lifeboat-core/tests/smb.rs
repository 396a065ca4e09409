//! The SMB share target against a real Samba server started by the test.

mod common;

use std::io::{Read, Seek, SeekFrom, Write};
use std::time::Duration;

use common::samba::{Samba, PASSWORD, USER};
use lifeboat_core::target::{SmbCredentials, SmbPath, SmbShare, Target};
use rand::{RngExt, SeedableRng};
use zeroize::Zeroizing;

fn share(samba: &Samba, folder: &str, password: &str) -> SmbShare {
    let credentials = SmbCredentials { user: USER.into(), password: Zeroizing::new(password.into()) };
    SmbShare::new(SmbPath::parse(&samba.unc(folder)).unwrap(), credentials, Duration::from_secs(10)).unwrap()
}

fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.random::<u8>()).collect()
}

#[test]
fn files_are_published_whole_listed_read_back_and_deleted() {
    let samba = Samba::start();
    let target = share(&samba, "", PASSWORD);
    assert!(target.list().unwrap().is_empty());

    let sizes = [0usize, 1, 65_535, 65_536, 65_537, 3 * 1024 * 1024 + 17];
    for (i, size) in sizes.iter().enumerate() {
        let name = format!("lifeboat-2026010{i}T000000Z-0000000{i}.lbk");
        let data = random(*size, i as u64);
        let mut upload = target.create(&name).unwrap();
        for piece in data.chunks(100_000) {
            upload.write_all(piece).unwrap();
        }
        assert!(target.list().unwrap().iter().all(|f| f.name != name), "nothing half-written is listed");
        upload.commit().unwrap();
        assert_eq!(std::fs::read(samba.path_in_share(&name)).unwrap(), data, "{size} bytes landed as written");

        let mut back = Vec::new();
        let mut reader = target.open(&name).unwrap();
        reader.read_to_end(&mut back).unwrap();
        assert!(back == data, "{size} bytes read back");
        if *size > 70_000 {
            reader.seek(SeekFrom::Start(65_530)).unwrap();
            let mut ten = [0u8; 10];
            reader.read_exact(&mut ten).unwrap();
            assert_eq!(&ten, &data[65_530..65_540]);
        }
    }
    let listed = target.list().unwrap();
    assert_eq!(listed.len(), sizes.len());
    assert_eq!(listed.iter().map(|f| f.size as usize).collect::<Vec<_>>(), sizes);
    assert!(target.free_space().unwrap().unwrap() > 0);

    target.delete(&listed[0].name).unwrap();
    assert_eq!(target.list().unwrap().len(), sizes.len() - 1);

    // An upload dropped without commit leaves nothing; a leftover from a crash is cleaned up.
    let mut dropped = target.create("lifeboat-20260201T000000Z-aaaaaaaa.lbk").unwrap();
    dropped.write_all(&random(200_000, 9)).unwrap();
    drop(dropped);
    assert!(!samba.path_in_share(".lifeboat-20260201T000000Z-aaaaaaaa.lbk.partial").exists());
    std::fs::write(samba.path_in_share(".lifeboat-20260202T000000Z-bbbbbbbb.lbk.partial"), b"crashed").unwrap();
    assert_eq!(target.remove_incomplete().unwrap(), vec![".lifeboat-20260202T000000Z-bbbbbbbb.lbk.partial".to_string()]);
}
