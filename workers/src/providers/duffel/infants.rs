//! Infants on laps: an infant (under 2 at departure) has no seat of its
//! own and travels on the lap of an adult (18 or over) of the same order;
//! in `POST /air/orders` that adult carries `infant_passenger_id`, the
//! infant's offer passenger id. Pure.
//!
//! The pairing is deterministic: the n-th infant, in passenger order, goes
//! with the n-th adult. A passenger whose age is unknown is neither.

use autobook_contracts::personal::{ADULT_FROM, INFANT_UNDER};

/// More infants than adults to carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("each infant needs an adult of its own to travel on: {infants} infants, {adults} adults")]
pub struct NotEnoughLaps {
    pub infants: usize,
    pub adults: usize,
}

/// Whether an age at departure is an infant's.
pub fn is_infant(age: Option<u8>) -> bool {
    age.is_some_and(|age| i32::from(age) < INFANT_UNDER)
}

/// Whether an age at departure is an adult's.
pub fn is_adult(age: Option<u8>) -> bool {
    age.is_some_and(|age| i32::from(age) >= ADULT_FROM)
}

/// For each passenger (by age, in order), the index of the infant on its
/// lap, if any. Every infant is on exactly one adult's lap.
pub fn laps(ages: &[Option<u8>]) -> Result<Vec<Option<usize>>, NotEnoughLaps> {
    let infants: Vec<usize> = (0..ages.len()).filter(|&i| is_infant(ages[i])).collect();
    let adults: Vec<usize> = (0..ages.len()).filter(|&i| is_adult(ages[i])).collect();
    if infants.len() > adults.len() {
        return Err(NotEnoughLaps {
            infants: infants.len(),
            adults: adults.len(),
        });
    }
    let mut laps = vec![None; ages.len()];
    for (adult, infant) in adults.into_iter().zip(infants) {
        laps[adult] = Some(infant);
    }
    Ok(laps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_infant_goes_with_a_distinct_adult_in_order() {
        // Adult, infant, child, adult, infant.
        let ages = [Some(40), Some(0), Some(7), Some(38), Some(1)];
        assert_eq!(laps(&ages), Ok(vec![Some(1), None, None, Some(4), None]));
        // Infants listed first still go with the adults in order.
        let ages = [Some(1), Some(0), Some(30), Some(18)];
        assert_eq!(laps(&ages), Ok(vec![None, None, Some(0), Some(1)]));
        // More adults than infants: the later adults carry nobody.
        assert_eq!(
            laps(&[Some(30), Some(31), Some(0)]),
            Ok(vec![Some(2), None, None])
        );
        assert_eq!(laps(&[Some(30), Some(12)]), Ok(vec![None, None]));
    }

    #[test]
    fn a_child_or_an_unknown_age_carries_nobody() {
        assert_eq!(
            laps(&[Some(30), Some(17), Some(0), Some(1)]),
            Err(NotEnoughLaps {
                infants: 2,
                adults: 1
            })
        );
        assert_eq!(
            laps(&[None, Some(0)]),
            Err(NotEnoughLaps {
                infants: 1,
                adults: 0
            })
        );
        assert!(!is_infant(None) && !is_adult(None));
        assert!(is_infant(Some(1)) && !is_infant(Some(2)));
        assert!(is_adult(Some(18)) && !is_adult(Some(17)));
    }
}
