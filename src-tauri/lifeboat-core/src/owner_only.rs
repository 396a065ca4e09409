//! Owner-only access for what holds secrets or their copies: the data folder, key
//! files, scratch folders, recovery and safety copies. On Unix that is mode 0700 for
//! folders and 0600 for files. On Windows it is a protected DACL (nothing inherited
//! from the parent) granting full control to the current user and to SYSTEM, and to
//! no one else; on folders the two entries are inherited by what is created inside,
//! so the catalog, the vault and their journals are owner-only as they are made.

use std::fs;
use std::io;
use std::path::Path;

/// Creates `dir` readable by its owner only, and its missing parents as any folder;
/// a `dir` that exists keeps the access it was given.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent)?;
    }
    match create_dir(dir) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        other => other,
    }
}

/// Creates `dir` (not its parents) readable by its owner only.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut fs::DirBuilder::new(), 0o700).create(dir)?;
    #[cfg(windows)]
    {
        fs::create_dir(dir)?;
        restrict(dir)?;
    }
    Ok(())
}

/// Makes an existing file or folder readable by its owner only.
pub fn restrict(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if fs::symlink_metadata(path)?.is_dir() { 0o700 } else { 0o600 };
        fs::set_permissions(path, fs::Permissions::from_mode(mode))
    }
    #[cfg(windows)]
    {
        acl::restrict(path)
    }
}

/// Options that create a file readable by its owner only (on Windows the file is
/// restricted right after it is created, before anything is written to it).
pub fn file_options(options: &mut fs::OpenOptions) -> &mut fs::OpenOptions {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    options
}

/// What `file_options` cannot do on Windows: restricts the file just created.
pub fn after_create(path: &Path) -> io::Result<()> {
    #[cfg(windows)]
    acl::restrict(path)?;
    let _ = path;
    Ok(())
}

#[cfg(windows)]
pub use acl::{current_user_sid, read_access, Access, SYSTEM_SID};

#[cfg(windows)]
mod acl {
    use std::ffi::c_void;
    use std::io;
    use std::path::Path;
    use std::ptr::null_mut;

    use windows_sys::Win32::Foundation::{CloseHandle, LocalFree, ERROR_SUCCESS, HANDLE};
    use windows_sys::Win32::Security::Authorization::{ConvertSidToStringSidW, GetNamedSecurityInfoW, SE_FILE_OBJECT};
    use windows_sys::Win32::Security::{
        AddAccessAllowedAceEx, CreateWellKnownSid, GetAce, GetLengthSid, GetSecurityDescriptorControl, GetTokenInformation, InitializeAcl, InitializeSecurityDescriptor,
        SetFileSecurityW, SetSecurityDescriptorControl, SetSecurityDescriptorDacl, TokenUser, WinLocalSystemSid, ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, ACL_REVISION,
        CONTAINER_INHERIT_ACE, DACL_SECURITY_INFORMATION, OBJECT_INHERIT_ACE, PROTECTED_DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR, PSID, SECURITY_DESCRIPTOR,
        SECURITY_MAX_SID_SIZE, SE_DACL_PROTECTED, TOKEN_QUERY, TOKEN_USER,
    };
    use windows_sys::Win32::Storage::FileSystem::FILE_ALL_ACCESS;
    use windows_sys::Win32::System::SystemServices::SECURITY_DESCRIPTOR_REVISION;
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    /// The well-known SID of the operating system's own account.
    pub const SYSTEM_SID: &str = "S-1-5-18";
    const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;

    /// A SID in an 8-byte aligned buffer.
    struct Sid(Vec<u64>);

    impl Sid {
        fn as_psid(&self) -> PSID {
            self.0.as_ptr() as PSID
        }
    }

    fn user_sid() -> io::Result<Sid> {
        // SAFETY: the token handle is closed on every path; the buffers are sized by
        // the first call and outlive the pointers read from them.
        unsafe {
            let mut token: HANDLE = null_mut();
            if OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) == 0 {
                return Err(io::Error::last_os_error());
            }
            let mut len = 0u32;
            GetTokenInformation(token, TokenUser, null_mut(), 0, &mut len);
            let mut buf = vec![0u64; (len as usize).div_ceil(8)];
            let ok = GetTokenInformation(token, TokenUser, buf.as_mut_ptr().cast(), len, &mut len);
            let error = io::Error::last_os_error();
            CloseHandle(token);
            if ok == 0 {
                return Err(error);
            }
            let user = &*(buf.as_ptr() as *const TOKEN_USER);
            let sid_len = GetLengthSid(user.User.Sid) as usize;
            let mut sid = vec![0u64; sid_len.div_ceil(8)];
            std::ptr::copy_nonoverlapping(user.User.Sid as *const u8, sid.as_mut_ptr().cast::<u8>(), sid_len);
            Ok(Sid(sid))
        }
    }

    fn system_sid() -> io::Result<Sid> {
        let mut sid = vec![0u64; (SECURITY_MAX_SID_SIZE as usize).div_ceil(8)];
        let mut len = SECURITY_MAX_SID_SIZE;
        // SAFETY: `sid` holds SECURITY_MAX_SID_SIZE bytes, as `len` says.
        if unsafe { CreateWellKnownSid(WinLocalSystemSid, null_mut(), sid.as_mut_ptr().cast(), &mut len) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Sid(sid))
    }

    /// A protected DACL: full control for the user and SYSTEM, inherited by what a
    /// folder will hold.
    pub fn restrict(path: &Path) -> io::Result<()> {
        let is_dir = std::fs::symlink_metadata(path)?.is_dir();
        let sids = [user_sid()?, system_sid()?];
        let inherit = if is_dir { OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE } else { 0 };
        // SAFETY: the ACL buffer is sized for its header and both entries and is
        // 4-byte aligned; the SIDs and the path outlive the calls.
        unsafe {
            let ace_size = |sid: &Sid| std::mem::size_of::<ACCESS_ALLOWED_ACE>() - std::mem::size_of::<u32>() + GetLengthSid(sid.as_psid()) as usize;
            let size = std::mem::size_of::<ACL>() + sids.iter().map(ace_size).sum::<usize>();
            let mut acl = vec![0u32; size.div_ceil(4)];
            let acl_ptr = acl.as_mut_ptr() as *mut ACL;
            if InitializeAcl(acl_ptr, (acl.len() * 4) as u32, ACL_REVISION) == 0 {
                return Err(io::Error::last_os_error());
            }
            for sid in &sids {
                if AddAccessAllowedAceEx(acl_ptr, ACL_REVISION, inherit, FILE_ALL_ACCESS, sid.as_psid()) == 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            // The descriptor itself says "protected": SetNamedSecurityInfoW would
            // merge the parent's inheritable entries in (Wine does), this does not.
            let mut descriptor: SECURITY_DESCRIPTOR = std::mem::zeroed();
            let descriptor_ptr = &mut descriptor as *mut SECURITY_DESCRIPTOR as PSECURITY_DESCRIPTOR;
            if InitializeSecurityDescriptor(descriptor_ptr, SECURITY_DESCRIPTOR_REVISION) == 0
                || SetSecurityDescriptorDacl(descriptor_ptr, 1, acl_ptr, 0) == 0
                || SetSecurityDescriptorControl(descriptor_ptr, SE_DACL_PROTECTED, SE_DACL_PROTECTED) == 0
                || SetFileSecurityW(crate::win_path::wide(path).as_ptr(), DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, descriptor_ptr) == 0
            {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }

    fn sid_string(sid: PSID) -> io::Result<String> {
        // SAFETY: the string Windows allocates is read up to its NUL, then freed.
        unsafe {
            let mut text = null_mut();
            if ConvertSidToStringSidW(sid, &mut text) == 0 {
                return Err(io::Error::last_os_error());
            }
            let len = (0..).take_while(|&i| *text.add(i) != 0).count();
            let string = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
            LocalFree(text as *mut c_void);
            Ok(string)
        }
    }

    /// The current user's SID, as text (`S-1-5-21-…`).
    pub fn current_user_sid() -> io::Result<String> {
        sid_string(user_sid()?.as_psid())
    }

    /// What a path's DACL says, read back: whether it is protected from
    /// inheritance, the SIDs it allows (with their access masks) and how many of its
    /// entries are of another kind.
    #[derive(Debug)]
    pub struct Access {
        pub protected: bool,
        pub allowed: Vec<(String, u32)>,
        pub other_entries: usize,
    }

    pub fn read_access(path: &Path) -> io::Result<Access> {
        // SAFETY: the descriptor Windows allocates holds the DACL the pointers point
        // into; it is freed after the last read.
        unsafe {
            let mut dacl: *mut ACL = null_mut();
            let mut descriptor: PSECURITY_DESCRIPTOR = null_mut();
            let status = GetNamedSecurityInfoW(
                crate::win_path::wide(path).as_ptr(),
                SE_FILE_OBJECT,
                DACL_SECURITY_INFORMATION,
                null_mut(),
                null_mut(),
                &mut dacl,
                null_mut(),
                &mut descriptor,
            );
            if status != ERROR_SUCCESS {
                return Err(io::Error::from_raw_os_error(status as i32));
            }
            let result = (|| {
                let (mut control, mut revision) = (0u16, 0u32);
                if GetSecurityDescriptorControl(descriptor, &mut control, &mut revision) == 0 {
                    return Err(io::Error::last_os_error());
                }
                let mut access = Access { protected: control & SE_DACL_PROTECTED != 0, allowed: Vec::new(), other_entries: 0 };
                let count = if dacl.is_null() { 0 } else { (*dacl).AceCount };
                for index in 0..count as u32 {
                    let mut ace: *mut c_void = null_mut();
                    if GetAce(dacl, index, &mut ace) == 0 {
                        return Err(io::Error::last_os_error());
                    }
                    if (*(ace as *const ACE_HEADER)).AceType == ACCESS_ALLOWED_ACE_TYPE {
                        let allowed = ace as *const ACCESS_ALLOWED_ACE;
                        let sid = std::ptr::addr_of!((*allowed).SidStart) as PSID;
                        access.allowed.push((sid_string(sid)?, (*allowed).Mask));
                    } else {
                        access.other_entries += 1;
                    }
                }
                Ok(access)
            })();
            LocalFree(descriptor);
            result
        }
    }
}

#[cfg(all(test, windows))]
mod tests {
    use super::*;
    use windows_sys::Win32::Storage::FileSystem::FILE_ALL_ACCESS;

    /// Wine keeps no security descriptors: it derives one from the Unix mode it set
    /// from ours, which keeps the entries but not the "protected" flag.
    fn under_wine() -> bool {
        use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleA, GetProcAddress};
        // SAFETY: both names are NUL-terminated; the module handle is not freed.
        unsafe { GetProcAddress(GetModuleHandleA(c"ntdll.dll".as_ptr().cast()), c"wine_get_version".as_ptr().cast()).is_some() }
    }

    fn assert_owner_only(path: &Path) {
        let access = read_access(path).unwrap();
        assert!(access.protected || under_wine(), "{}: the DACL inherits from the parent: {access:?}", path.display());
        let mut sids: Vec<String> = access.allowed.iter().map(|(sid, _)| sid.clone()).collect();
        sids.sort();
        let mut expected = vec![current_user_sid().unwrap(), SYSTEM_SID.to_string()];
        expected.sort();
        assert_eq!(sids, expected, "{}", path.display());
        assert!(access.allowed.iter().all(|(_, mask)| *mask == FILE_ALL_ACCESS), "{access:?}");
        assert_eq!(access.other_entries, 0);
    }

    #[test]
    fn folders_and_files_are_owner_only_and_what_a_folder_holds_inherits_it() {
        let temp = tempfile::tempdir().unwrap();
        let before = read_access(temp.path()).unwrap();
        assert!(before.allowed.len() > 2 || !before.protected, "the test needs a parent open to others: {before:?}");

        let dir = temp.path().join("private");
        create_dir(&dir).unwrap();
        assert_owner_only(&dir);
        // Windows gives what is created in the folder its inheritable entries; Wine
        // derives a new file's from the Unix mode it creates it with instead.
        if !under_wine() {
            let inside = dir.join("catalog.db");
            fs::write(&inside, b"x").unwrap();
            let access = read_access(&inside).unwrap();
            let sids: Vec<&str> = access.allowed.iter().map(|(sid, _)| sid.as_str()).collect();
            assert!(sids.contains(&SYSTEM_SID) && sids.len() == 2, "{access:?}");
        }

        let file = temp.path().join("key.pem");
        fs::write(&file, b"key").unwrap();
        restrict(&file).unwrap();
        assert_owner_only(&file);
    }
}
