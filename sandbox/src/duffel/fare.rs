//! An offer's price: its total, and the base and tax it is made of. How
//! much a fare is comes from [`super::pricing`].

/// An offer's price in minor units of its currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fare {
    pub(crate) total: i64,
    pub(crate) base: i64,
    pub(crate) tax: i64,
}

impl Fare {
    /// `total` split into base and tax (tax is about 15% of the total).
    pub(crate) fn from_total(total: i64) -> Fare {
        let base = (total as f64 / 1.18).round() as i64;
        Fare {
            total,
            base,
            tax: total - base,
        }
    }

    /// The same fare raised by `factor` (e.g. 1.07).
    pub(crate) fn raised(&self, factor: f64) -> Fare {
        let raised = (self.total as f64 * factor).round() as i64;
        Fare::from_total(raised.max(self.total + 1))
    }
}
