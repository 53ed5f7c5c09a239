//! Configuration sections, each key written once. A face or subsystem declares its section
//! with `section!`: every setting's name, type, default, command-line flag, environment
//! variable and description on one line. The macro makes the resolved settings type and a
//! layer type (what one source sets: all `Option`s) that is at once the section of the TOML
//! file and a set of `clap` flags with their `KEYHALL_*` variables. The binary layers them
//! once: defaults < file < variables < flags (`clap` gives flags precedence over variables).
//!
//! A crate that declares a section depends on `clap` (derive, env) and `serde` itself: the
//! derives expand there.

/// A value a source can set; blank text counts as not set, so that `KEYHALL_X=` means "use
/// the layer below" rather than "an empty value".
pub trait Setting: std::fmt::Debug {
    /// How many values its flag takes (a switch may be given bare).
    const VALUES: std::ops::RangeInclusive<usize> = 1..=1;
    /// The value of a flag given bare.
    const BARE: Option<&'static str> = None;

    fn is_blank(&self) -> bool {
        false
    }

    /// The value as `--help` shows a default.
    fn shown(&self) -> String {
        format!("{self:?}")
    }
}

impl Setting for String {
    fn is_blank(&self) -> bool {
        self.trim().is_empty()
    }

    fn shown(&self) -> String {
        self.clone()
    }
}

impl Setting for std::path::PathBuf {
    fn is_blank(&self) -> bool {
        self.as_os_str().is_empty()
    }

    fn shown(&self) -> String {
        self.display().to_string()
    }
}

/// `--flag` alone means `--flag true`.
impl Setting for bool {
    const VALUES: std::ops::RangeInclusive<usize> = 0..=1;
    const BARE: Option<&'static str> = Some("true");
}
impl Setting for u16 {}
impl Setting for u64 {}
impl Setting for i64 {}
impl Setting for usize {}

/// What a source set, unless it is blank.
pub fn set<T: Setting>(value: Option<T>) -> Option<T> {
    value.filter(|v| !v.is_blank())
}

/// Declares a configuration section:
///
/// ```ignore
/// keyhall_settings::section! {
///     /// The Barong face: `[barong]` in the configuration file.
///     pub struct BarongSettings, layer BarongLayer {
///         /// Require X-CSRF-Token on cookie-authenticated writes through authorize.
///         csrf: bool = true, "barong-csrf", "KEYHALL_BARONG_CSRF";
///         /// The tenant (company id) whose users the Barong API serves.
///         tenant: String, "barong-tenant", "KEYHALL_BARONG_TENANT";
///     }
/// }
/// ```
///
/// A setting with a default resolves to its type; one without resolves to an `Option`.
#[macro_export]
macro_rules! section {
    (
        $(#[doc = $section_doc:literal])*
        pub struct $name:ident, layer $layer:ident {
            $(
                $(#[doc = $doc:literal])*
                $field:ident: $ty:ty $(= $default:expr)?, $flag:literal, $env:literal;
            )*
        }
    ) => {
        $(#[doc = $section_doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name {
            $(
                $(#[doc = $doc])*
                pub $field: $crate::__setting_type!($ty $(, $default)?),
            )*
        }

        /// What one source (the configuration file, or the flags with their variables) sets
        /// of the section; `None` where it sets nothing.
        #[derive(Debug, Clone, Default, clap::Args, serde::Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $layer {
            $(
                $(#[doc = $doc])*
                // The flag is the argument's id too: two sections may name a field alike.
                #[arg(
                    id = $flag,
                    long = $flag,
                    env = $env,
                    hide_env_values = true,
                    num_args = <$ty as $crate::Setting>::VALUES,
                    default_missing_value = <$ty as $crate::Setting>::BARE,
                )]
                pub $field: Option<$ty>,
            )*
        }

        impl $layer {
            /// This layer over `below`: what this one sets wins.
            pub fn over(self, below: Self) -> Self {
                Self { $( $field: $crate::set(self.$field).or($crate::set(below.$field)), )* }
            }

            /// The settings, with the defaults where no layer set anything.
            pub fn resolve(self) -> $name {
                $name { $( $field: $crate::__setting_value!($crate::set(self.$field) $(, $default)?), )* }
            }

            /// Each flag that has a default, with the default as `--help` shows it (a setting
            /// without one says in its description what happens when it is not set).
            #[allow(clippy::vec_init_then_push)]
            pub fn defaults_for_help() -> Vec<(&'static str, String)> {
                #[allow(unused_variables)]
                let defaults = $name::default();
                #[allow(unused_mut)]
                let mut shown = Vec::new();
                $( $crate::__setting_help!(shown, $flag, defaults.$field $(, $default)?); )*
                shown
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $layer::default().resolve()
            }
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __setting_type {
    ($ty:ty) => { Option<$ty> };
    ($ty:ty, $default:expr) => { $ty };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __setting_help {
    ($shown:ident, $flag:literal, $value:expr) => {};
    ($shown:ident, $flag:literal, $value:expr, $default:expr) => {
        $shown.push(($flag, $crate::Setting::shown(&$value)))
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __setting_value {
    ($value:expr) => {
        $value
    };
    ($value:expr, $default:expr) => {
        $value.unwrap_or_else(|| $default)
    };
}

#[cfg(test)]
mod tests {
    use clap::{Args, FromArgMatches};

    section! {
        /// A section for the tests.
        pub struct Demo, layer DemoLayer {
            /// A switch.
            on: bool = true, "demo-on", "KEYHALL_TEST_DEMO_ON";
            /// A name.
            name: String = "default".into(), "demo-name", "KEYHALL_TEST_DEMO_NAME";
            /// Something without a default.
            url: String, "demo-url", "KEYHALL_TEST_DEMO_URL";
        }
    }

    fn flags(argv: &[&str]) -> DemoLayer {
        let matches = DemoLayer::augment_args(clap::Command::new("t")).try_get_matches_from(argv).unwrap();
        DemoLayer::from_arg_matches(&matches).unwrap()
    }

    #[test]
    fn defaults_then_file_then_flags() {
        assert_eq!(Demo::default(), Demo { on: true, name: "default".into(), url: None });
        let file: DemoLayer = toml::from_str("on = false\nname = \"file\"").unwrap();
        let resolved = flags(&["t", "--demo-name", "flag"]).over(file).resolve();
        assert_eq!(resolved, Demo { on: false, name: "flag".into(), url: None });
        let blank = flags(&["t", "--demo-name", " "]).over(DemoLayer::default()).resolve();
        assert_eq!(blank.name, "default", "a blank value sets nothing");
        assert!(toml::from_str::<DemoLayer>("nope = 1").is_err(), "unknown keys are refused");
    }

    #[test]
    fn help_shows_the_defaults_there_are() {
        assert_eq!(
            DemoLayer::defaults_for_help(),
            vec![("demo-on", "true".to_string()), ("demo-name", "default".to_string())],
            "a setting without a default has none to show"
        );
    }

    #[test]
    fn a_switch_given_bare_is_on() {
        let file: DemoLayer = toml::from_str("on = false").unwrap();
        assert!(flags(&["t", "--demo-on"]).over(file.clone()).resolve().on);
        assert!(!flags(&["t", "--demo-on", "false"]).over(DemoLayer::default()).resolve().on);
        assert!(!flags(&["t", "--demo-on=false"]).over(DemoLayer::default()).resolve().on);
        // A bare switch before another flag takes no value from it.
        let resolved = flags(&["t", "--demo-on", "--demo-name", "x"]).over(file).resolve();
        assert_eq!((resolved.on, resolved.name.as_str()), (true, "x"));
        // Other settings still need their value.
        let missing = DemoLayer::augment_args(clap::Command::new("t")).try_get_matches_from(["t", "--demo-name"]);
        assert!(missing.is_err());
    }
}
