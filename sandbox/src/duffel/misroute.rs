//! The wrong-route supplier fault: a supplier answers an offer for another
//! route than the one searched, as real ones sometimes do (an LHR-LHR
//! offer for an LHR-JFK search). The offer's outbound slice lands back
//! where it left; everything else (price, times, flights) is unchanged, so
//! only a client that checks where an offer goes can tell.
//!
//! A search's scripted entry decides for all its offers (`wrong_route`:
//! every one, `ok`: none); otherwise each offer is misrouted with the
//! `wrong_route_rate`.

use rand::rngs::StdRng;

use super::model::Offer;
use crate::faults::roll;
use crate::script::SearchFault;

/// Misroutes the offers of one search as the script or the rate says.
pub(crate) fn apply(
    offers: &mut [Offer],
    scripted: Option<SearchFault>,
    rate: f64,
    rng: &mut StdRng,
) {
    for offer in offers {
        let wrong = match scripted {
            Some(SearchFault::WrongRoute) => true,
            Some(SearchFault::Ok) => false,
            None => roll(rng, rate),
        };
        if wrong {
            misroute(offer);
        }
    }
}

/// The offer's first slice ends where it began.
fn misroute(offer: &mut Offer) {
    let Some(slice) = offer.slices.first_mut() else {
        return;
    };
    let segments = &mut slice.itinerary.segments;
    let Some(origin) = segments.first().map(|segment| segment.origin) else {
        return;
    };
    if let Some(last) = segments.last_mut() {
        last.destination = origin;
        offer.misrouted = true;
    }
}
