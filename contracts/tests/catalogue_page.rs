//! `docs/airports.md` lists the catalogue's airports, cities and airlines
//! exactly as `contracts/src/catalogue/` holds them, so gateway authors can
//! read which places and carriers a trip may name. Regenerate the page's
//! tables with `AUTOBOOK_UPDATE_DOCS=1 cargo test -p autobook-contracts --test catalogue_page`.

use std::fmt::Write as _;
use std::path::PathBuf;

use autobook_contracts::catalogue::{AIRLINES, AIRPORTS, CITIES};

/// Everything after this line of the page is written by this test.
const MARKER: &str = "<!-- The tables below are written from contracts/src/catalogue/ \
                      by contracts/tests/catalogue_page.rs; do not edit them by hand. -->";

fn page_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/airports.md")
}

/// The tables, as the page must hold them after the marker.
fn tables() -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n## Airports\n\n{} airports.\n", AIRPORTS.len());
    out.push_str("| IATA | airport | city | country | city code | time zone |\n");
    out.push_str("|---|---|---|---|---|---|\n");
    for a in AIRPORTS {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} | {} |",
            a.iata,
            a.name,
            a.city,
            a.country,
            a.city_code.map(|c| format!("`{c}`")).unwrap_or_default(),
            a.time_zone
        );
    }
    let _ = writeln!(out, "\n## City codes\n\n{} city codes.\n", CITIES.len());
    out.push_str("| code | city | time zone | airports |\n|---|---|---|---|\n");
    for c in CITIES {
        let airports: Vec<String> = AIRPORTS
            .iter()
            .filter(|a| a.city_code == Some(c.code))
            .map(|a| format!("`{}`", a.iata))
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            c.code,
            c.name,
            c.time_zone,
            airports.join(", ")
        );
    }
    let _ = writeln!(out, "\n## Airlines\n\n{} airlines.\n", AIRLINES.len());
    out.push_str("| IATA | airline | country | hubs |\n|---|---|---|---|\n");
    for a in AIRLINES {
        let hubs: Vec<String> = a.hubs.iter().map(|h| format!("`{h}`")).collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            a.iata,
            a.name,
            a.country,
            hubs.join(", ")
        );
    }
    out
}

#[test]
fn the_airports_page_lists_the_catalogue() {
    let path = page_path();
    let page = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let Some((intro, written)) = page.split_once(MARKER) else {
        panic!("docs/airports.md lost its marker line: {MARKER}");
    };
    let expected = tables();
    if std::env::var_os("AUTOBOOK_UPDATE_DOCS").is_some() {
        std::fs::write(&path, format!("{intro}{MARKER}\n{expected}"))
            .unwrap_or_else(|e| panic!("{path:?}: {e}"));
        return;
    }
    assert!(
        written.strip_prefix('\n') == Some(expected.as_str()),
        "docs/airports.md differs from contracts/src/catalogue/; regenerate with \
         AUTOBOOK_UPDATE_DOCS=1 cargo test -p autobook-contracts --test catalogue_page"
    );
}

#[test]
fn every_code_of_the_catalogue_is_on_the_page() {
    let page = tables();
    for code in AIRPORTS
        .iter()
        .map(|a| a.iata)
        .chain(CITIES.iter().map(|c| c.code))
        .chain(AIRLINES.iter().map(|a| a.iata))
    {
        assert!(page.contains(&format!("| `{code}` |")), "{code}");
    }
}
