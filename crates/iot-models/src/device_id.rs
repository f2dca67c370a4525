//! Device ids are validated before they go near Flux, line protocol or a URL.

crate::name::name_type!(
    /// A device id: 1–64 characters of `A–Z a–z 0–9 . _ -`, starting with a letter or digit.
    /// The reference devices' ids (`ESP32-A0B1C2D3E4F5`) fit.
    DeviceId,
    "a device id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_ids_pass() {
        for id in [
            "ESP32-A0B1C2D3E4F5",
            "ESP8266-0123456789AB",
            "virtual_1",
            "a",
            "dev.2-b_c",
        ] {
            assert_eq!(DeviceId::parse(id).unwrap().as_str(), id);
        }
        assert_eq!(DeviceId::parse("  padded ").unwrap().as_str(), "padded");
    }

    #[test]
    fn everything_else_is_refused_with_a_reason() {
        assert!(DeviceId::parse("").unwrap_err().contains("required"));
        assert!(DeviceId::parse(&"x".repeat(65))
            .unwrap_err()
            .contains("at most 64"));
        assert!(DeviceId::parse("a\"b").unwrap_err().contains("not allowed"));
        assert_eq!(
            DeviceId::parse("a b").unwrap_err(),
            "' ' is not allowed in a device id: use letters, digits, '.', '_' and '-'"
        );
        assert_eq!(
            DeviceId::parse("dev/1").unwrap_err(),
            "'/' is not allowed in a device id: use letters, digits, '.', '_' and '-'"
        );
        assert!(DeviceId::parse("-x").unwrap_err().contains("starts with"));
        assert_eq!(
            DeviceId::parse("ünï").unwrap_err(),
            "'ü' is not allowed in a device id: use letters, digits, '.', '_' and '-'"
        );
        assert_eq!(
            serde_json::from_str::<DeviceId>("\"a,b\"")
                .unwrap_err()
                .to_string(),
            "',' is not allowed in a device id: use letters, digits, '.', '_' and '-'"
        );
    }
}
