//! Where the site — the wasm, the CSS, the static files — is served from, wherever the binary
//! is started: `--site-root`, else Leptos.toml's in the working directory (the repository,
//! as `cargo leptos` and `make run` start it), else `site/` beside the binary (an install).
//! Without any, pages still render but do not come alive: the start log says so.

use leptos::config::{get_configuration, Env, LeptosOptions};
use std::path::{Path, PathBuf};

/// The options Leptos.toml holds, for a binary started without it.
fn installed(site_root: &Path) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("iot-center")
        .site_root(site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(std::net::SocketAddr::from(([127, 0, 0, 1], 5000)))
        .env(Env::PROD)
        .build()
}

pub fn leptos_options(site_root: Option<PathBuf>) -> anyhow::Result<LeptosOptions> {
    let here = Path::new("Leptos.toml");
    let mut options = match here.exists() {
        // LEPTOS_* variables (set by cargo-leptos) override the file.
        true => get_configuration(Some("Leptos.toml"))?.leptos_options,
        false => installed(&beside_the_binary().unwrap_or_else(|| PathBuf::from("site"))),
    };
    if let Some(root) = site_root {
        options.site_root = root.to_string_lossy().to_string().into();
    }
    let pkg = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    if !pkg.join(format!("{}.js", options.output_name)).exists() {
        tracing::warn!(
            "no site at {} (its {}.js): pages render but do not come alive; \
             build it (make run) or name it with --site-root",
            pkg.display(),
            options.output_name
        );
    }
    Ok(options)
}

/// `site/` in the binary's directory, if there is one.
fn beside_the_binary() -> Option<PathBuf> {
    let dir = std::env::current_exe().ok()?.parent()?.join("site");
    dir.is_dir().then_some(dir)
}
