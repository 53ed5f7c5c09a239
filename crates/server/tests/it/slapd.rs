//! A real OpenLDAP `slapd` (Debian's package; bin/test installs it) on a free loopback port,
//! with a few people, for the directory auth modules.

use std::process::{Child, Command, Stdio};

pub const BASE_DN: &str = "dc=example,dc=com";
pub const ADMIN_DN: &str = "cn=admin,dc=example,dc=com";
pub const ADMIN_PASSWORD: &str = "Directory-Admin-1";
/// A person in the directory: uid `lena`, with this password.
pub const LENA_PASSWORD: &str = "Lena-Ldap-Pass-1";

pub struct Slapd {
    child: Child,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Slapd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn program(name: &str) -> String {
    ["/usr/sbin/", "/usr/bin/"]
        .iter()
        .map(|d| format!("{d}{name}"))
        .find(|p| std::path::Path::new(p).exists())
        .unwrap_or_else(|| panic!("{name} is not installed (Debian's slapd and ldap-utils packages; bin/test installs them)"))
}

impl Slapd {
    pub async fn start() -> Slapd {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        std::fs::create_dir(dir.path().join("db")).unwrap();
        let schema = |s: &str| format!("include /etc/ldap/schema/{s}.schema\n");
        let conf = format!(
            "{}{}{}{}modulepath /usr/lib/ldap\nmoduleload back_mdb\npidfile {d}/slapd.pid\n\
             database mdb\nmaxsize 10485760\nsuffix \"{BASE_DN}\"\nrootdn \"{ADMIN_DN}\"\nrootpw {ADMIN_PASSWORD}\n\
             directory {d}/db\n",
            schema("core"),
            schema("cosine"),
            schema("nis"),
            schema("inetorgperson"),
        );
        std::fs::write(dir.path().join("slapd.conf"), conf).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(program("slapd"))
            .args(["-f", &format!("{d}/slapd.conf"), "-h", &format!("ldap://127.0.0.1:{port}/"), "-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("slapd starts");
        let slapd = Slapd { child, port, _dir: dir };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        let ldif = format!(
            "dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n\n\
             dn: ou=people,{BASE_DN}\nobjectClass: organizationalUnit\nou: people\n\n\
             dn: uid=lena,ou=people,{BASE_DN}\nobjectClass: inetOrgPerson\nuid: lena\ncn: Lena Park\ngivenName: Lena\nsn: Park\n\
             mail: lena@corp.example\nuserPassword: {LENA_PASSWORD}\n\n\
             dn: uid=omar,ou=people,{BASE_DN}\nobjectClass: inetOrgPerson\nuid: omar\ncn: Omar Diaz\nsn: Diaz\nuserPassword: Omar-Ldap-Pass-1\n"
        );
        let ldif_path = slapd._dir.path().join("people.ldif");
        std::fs::write(&ldif_path, ldif).unwrap();
        let out = Command::new(program("ldapadd"))
            .args(["-x", "-H", &format!("ldap://127.0.0.1:{port}/"), "-D", ADMIN_DN, "-w", ADMIN_PASSWORD, "-f"])
            .arg(&ldif_path)
            .output()
            .expect("ldapadd runs");
        assert!(out.status.success(), "ldapadd: {}", String::from_utf8_lossy(&out.stderr));
        slapd
    }
}
