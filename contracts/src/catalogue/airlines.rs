//! Real airlines with their hubs.
//!
//! Trip requests may restrict the carriers they accept; the sandbox decides
//! which airlines fly a route from their hubs and home countries.

/// One airline of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Airline {
    pub iata: &'static str,
    pub name: &'static str,
    /// ISO 3166-1 alpha-2 of the airline's home country.
    pub country: &'static str,
    /// Hub airports (IATA), where its connections are made.
    pub hubs: &'static [&'static str],
}

/// Every airline autobook knows, sorted by IATA code. `ZZ` is Duffel's
/// test-mode airline.
pub static AIRLINES: &[Airline] = &[
    Airline {
        iata: "AA",
        name: "American Airlines",
        country: "US",
        hubs: &["DFW", "CLT", "ORD", "MIA", "PHL", "PHX", "JFK", "LAX"],
    },
    Airline {
        iata: "AC",
        name: "Air Canada",
        country: "CA",
        hubs: &["YYZ", "YVR", "YUL"],
    },
    Airline {
        iata: "AF",
        name: "Air France",
        country: "FR",
        hubs: &["CDG", "ORY"],
    },
    Airline {
        iata: "AS",
        name: "Alaska Airlines",
        country: "US",
        hubs: &["SEA", "PDX", "SFO", "LAX"],
    },
    Airline {
        iata: "AY",
        name: "Finnair",
        country: "FI",
        hubs: &["HEL"],
    },
    Airline {
        iata: "B6",
        name: "JetBlue Airways",
        country: "US",
        hubs: &["JFK", "BOS", "FLL", "MCO"],
    },
    Airline {
        iata: "BA",
        name: "British Airways",
        country: "GB",
        hubs: &["LHR", "LGW"],
    },
    Airline {
        iata: "CX",
        name: "Cathay Pacific",
        country: "HK",
        hubs: &["HKG"],
    },
    Airline {
        iata: "DL",
        name: "Delta Air Lines",
        country: "US",
        hubs: &["ATL", "DTW", "MSP", "SLC", "JFK", "LAX", "SEA", "BOS"],
    },
    Airline {
        iata: "EI",
        name: "Aer Lingus",
        country: "IE",
        hubs: &["DUB"],
    },
    Airline {
        iata: "EK",
        name: "Emirates",
        country: "AE",
        hubs: &["DXB"],
    },
    Airline {
        iata: "IB",
        name: "Iberia",
        country: "ES",
        hubs: &["MAD"],
    },
    Airline {
        iata: "JL",
        name: "Japan Airlines",
        country: "JP",
        hubs: &["HND", "NRT"],
    },
    Airline {
        iata: "KL",
        name: "KLM Royal Dutch Airlines",
        country: "NL",
        hubs: &["AMS"],
    },
    Airline {
        iata: "LH",
        name: "Lufthansa",
        country: "DE",
        hubs: &["FRA", "MUC"],
    },
    Airline {
        iata: "LX",
        name: "Swiss International Air Lines",
        country: "CH",
        hubs: &["ZRH", "GVA"],
    },
    Airline {
        iata: "NH",
        name: "All Nippon Airways",
        country: "JP",
        hubs: &["HND", "NRT"],
    },
    Airline {
        iata: "QF",
        name: "Qantas",
        country: "AU",
        hubs: &["SYD", "MEL"],
    },
    Airline {
        iata: "QR",
        name: "Qatar Airways",
        country: "QA",
        hubs: &["DOH"],
    },
    Airline {
        iata: "SK",
        name: "Scandinavian Airlines",
        country: "SE",
        hubs: &["CPH", "ARN", "OSL"],
    },
    Airline {
        iata: "SQ",
        name: "Singapore Airlines",
        country: "SG",
        hubs: &["SIN"],
    },
    Airline {
        iata: "TK",
        name: "Turkish Airlines",
        country: "TR",
        hubs: &["IST"],
    },
    Airline {
        iata: "UA",
        name: "United Airlines",
        country: "US",
        hubs: &["ORD", "DEN", "IAH", "EWR", "SFO", "IAD", "LAX"],
    },
    Airline {
        iata: "WN",
        name: "Southwest Airlines",
        country: "US",
        hubs: &["DAL", "MDW", "DEN", "LAS", "BWI", "PHX", "OAK", "AUS"],
    },
    Airline {
        iata: "ZZ",
        name: "Duffel Airways",
        country: "GB",
        hubs: &["LHR"],
    },
];
