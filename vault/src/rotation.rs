//! What a key rotation counts: per table, the rows under each key id
//! ([`Census`]) and what one pass of re-sealing did ([`Pass`]). Each
//! crate that owns sealed columns counts and re-seals its own.

use std::collections::BTreeMap;

/// Key ids found in one table: rows per key id, rows holding plaintext
/// personal data, rows holding values sealed without their place.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Census {
    pub rows: u64,
    pub kids: BTreeMap<String, u64>,
    pub plaintext: u64,
    pub unplaced: u64,
}

impl Census {
    /// Counts one row: the key ids it holds, whether it holds plaintext
    /// personal data, whether it holds values sealed without their place.
    pub fn count(
        &mut self,
        kids: impl IntoIterator<Item = String>,
        plaintext: bool,
        unplaced: bool,
    ) {
        self.rows += 1;
        for kid in kids {
            *self.kids.entry(kid).or_default() += 1;
        }
        self.plaintext += u64::from(plaintext);
        self.unplaced += u64::from(unplaced);
    }
}

/// What one pass of re-sealing did to one table.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pass {
    /// Rows read.
    pub visited: u64,
    /// Rows written back under the active key.
    pub resealed: u64,
    /// Rows that changed while they were being re-sealed: left for the
    /// next pass.
    pub changed: u64,
    /// Rows that cannot be opened with this keyring (a key missing, a
    /// tampered value): left as they are.
    pub unreadable: u64,
}

impl Pass {
    /// Counts one row written back (`written`), or found changed meanwhile.
    pub fn record(&mut self, written: bool) {
        if written {
            self.resealed += 1;
        } else {
            self.changed += 1;
        }
    }
}
