//! Real airports and metropolitan city codes with their IANA time zones.
//!
//! Trip validation uses this to reject unknown places and to judge "in the
//! future" in the departure airport's own time zone; the sandbox uses the
//! coordinates to derive flight durations and fares.

/// One airport of the catalogue.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Airport {
    pub iata: &'static str,
    pub name: &'static str,
    pub city: &'static str,
    /// ISO 3166-1 alpha-2.
    pub country: &'static str,
    /// The metropolitan city code this airport belongs to, if any (JFK -> NYC).
    pub city_code: Option<&'static str>,
    /// IANA time zone name.
    pub time_zone: &'static str,
    pub latitude: f64,
    pub longitude: f64,
}

macro_rules! airports {
    ($( $iata:literal, $name:literal, $city:literal, $country:literal, $metro:expr, $tz:literal, $lat:literal, $lon:literal; )*) => {
        /// Every airport autobook knows, sorted by IATA code.
        pub static AIRPORTS: &[Airport] = &[
            $( Airport { iata: $iata, name: $name, city: $city, country: $country, city_code: $metro, time_zone: $tz, latitude: $lat, longitude: $lon }, )*
        ];
    };
}

airports! {
    "AKL", "Auckland Airport", "Auckland", "NZ", None, "Pacific/Auckland", -37.0082, 174.7850;
    "AMS", "Amsterdam Airport Schiphol", "Amsterdam", "NL", None, "Europe/Amsterdam", 52.3105, 4.7683;
    "ARN", "Stockholm Arlanda Airport", "Stockholm", "SE", Some("STO"), "Europe/Stockholm", 59.6498, 17.9238;
    "ATH", "Athens International Airport", "Athens", "GR", None, "Europe/Athens", 37.9364, 23.9445;
    "ATL", "Hartsfield-Jackson Atlanta International Airport", "Atlanta", "US", None, "America/New_York", 33.6407, -84.4277;
    "AUS", "Austin-Bergstrom International Airport", "Austin", "US", None, "America/Chicago", 30.1975, -97.6664;
    "BCN", "Josep Tarradellas Barcelona-El Prat Airport", "Barcelona", "ES", None, "Europe/Madrid", 41.2974, 2.0833;
    "BER", "Berlin Brandenburg Airport", "Berlin", "DE", None, "Europe/Berlin", 52.3667, 13.5033;
    "BKK", "Suvarnabhumi Airport", "Bangkok", "TH", None, "Asia/Bangkok", 13.6900, 100.7501;
    "BNA", "Nashville International Airport", "Nashville", "US", None, "America/Chicago", 36.1263, -86.6774;
    "BOG", "El Dorado International Airport", "Bogota", "CO", None, "America/Bogota", 4.7016, -74.1469;
    "BOM", "Chhatrapati Shivaji Maharaj International Airport", "Mumbai", "IN", None, "Asia/Kolkata", 19.0896, 72.8656;
    "BOS", "Logan International Airport", "Boston", "US", None, "America/New_York", 42.3656, -71.0096;
    "BRU", "Brussels Airport", "Brussels", "BE", None, "Europe/Brussels", 50.9010, 4.4856;
    "BWI", "Baltimore/Washington International Airport", "Baltimore", "US", Some("WAS"), "America/New_York", 39.1774, -76.6684;
    "CDG", "Paris Charles de Gaulle Airport", "Paris", "FR", Some("PAR"), "Europe/Paris", 49.0097, 2.5479;
    "CGK", "Soekarno-Hatta International Airport", "Jakarta", "ID", None, "Asia/Jakarta", -6.1256, 106.6559;
    "CLT", "Charlotte Douglas International Airport", "Charlotte", "US", None, "America/New_York", 35.2144, -80.9473;
    "CPH", "Copenhagen Airport", "Copenhagen", "DK", None, "Europe/Copenhagen", 55.6180, 12.6508;
    "CPT", "Cape Town International Airport", "Cape Town", "ZA", None, "Africa/Johannesburg", -33.9715, 18.6021;
    "CUN", "Cancun International Airport", "Cancun", "MX", None, "America/Cancun", 21.0365, -86.8771;
    "DAL", "Dallas Love Field", "Dallas", "US", None, "America/Chicago", 32.8471, -96.8518;
    "DCA", "Ronald Reagan Washington National Airport", "Washington", "US", Some("WAS"), "America/New_York", 38.8512, -77.0402;
    "DEL", "Indira Gandhi International Airport", "Delhi", "IN", None, "Asia/Kolkata", 28.5562, 77.1000;
    "DEN", "Denver International Airport", "Denver", "US", None, "America/Denver", 39.8561, -104.6737;
    "DFW", "Dallas Fort Worth International Airport", "Dallas", "US", None, "America/Chicago", 32.8998, -97.0403;
    "DOH", "Hamad International Airport", "Doha", "QA", None, "Asia/Qatar", 25.2731, 51.6081;
    "DTW", "Detroit Metropolitan Wayne County Airport", "Detroit", "US", None, "America/Detroit", 42.2162, -83.3554;
    "DUB", "Dublin Airport", "Dublin", "IE", None, "Europe/Dublin", 53.4264, -6.2499;
    "DXB", "Dubai International Airport", "Dubai", "AE", None, "Asia/Dubai", 25.2532, 55.3657;
    "EDI", "Edinburgh Airport", "Edinburgh", "GB", None, "Europe/London", 55.9508, -3.3615;
    "EWR", "Newark Liberty International Airport", "Newark", "US", Some("NYC"), "America/New_York", 40.6895, -74.1745;
    "EZE", "Ministro Pistarini International Airport", "Buenos Aires", "AR", Some("BUE"), "America/Argentina/Buenos_Aires", -34.8222, -58.5358;
    "FCO", "Leonardo da Vinci-Fiumicino Airport", "Rome", "IT", Some("ROM"), "Europe/Rome", 41.8003, 12.2389;
    "FLL", "Fort Lauderdale-Hollywood International Airport", "Fort Lauderdale", "US", None, "America/New_York", 26.0742, -80.1506;
    "FRA", "Frankfurt Airport", "Frankfurt", "DE", None, "Europe/Berlin", 50.0379, 8.5622;
    "GIG", "Rio de Janeiro/Galeao International Airport", "Rio de Janeiro", "BR", Some("RIO"), "America/Sao_Paulo", -22.8090, -43.2506;
    "GRU", "Sao Paulo/Guarulhos International Airport", "Sao Paulo", "BR", Some("SAO"), "America/Sao_Paulo", -23.4356, -46.4731;
    "GVA", "Geneva Airport", "Geneva", "CH", None, "Europe/Zurich", 46.2381, 6.1090;
    "HEL", "Helsinki Airport", "Helsinki", "FI", None, "Europe/Helsinki", 60.3172, 24.9633;
    "HKG", "Hong Kong International Airport", "Hong Kong", "HK", None, "Asia/Hong_Kong", 22.3080, 113.9185;
    "HND", "Tokyo Haneda Airport", "Tokyo", "JP", Some("TYO"), "Asia/Tokyo", 35.5494, 139.7798;
    "HNL", "Daniel K. Inouye International Airport", "Honolulu", "US", None, "Pacific/Honolulu", 21.3187, -157.9225;
    "IAD", "Washington Dulles International Airport", "Washington", "US", Some("WAS"), "America/New_York", 38.9531, -77.4565;
    "IAH", "George Bush Intercontinental Airport", "Houston", "US", None, "America/Chicago", 29.9902, -95.3368;
    "ICN", "Incheon International Airport", "Seoul", "KR", Some("SEL"), "Asia/Seoul", 37.4602, 126.4407;
    "IST", "Istanbul Airport", "Istanbul", "TR", None, "Europe/Istanbul", 41.2753, 28.7519;
    "JFK", "John F. Kennedy International Airport", "New York", "US", Some("NYC"), "America/New_York", 40.6413, -73.7781;
    "JNB", "O. R. Tambo International Airport", "Johannesburg", "ZA", None, "Africa/Johannesburg", -26.1367, 28.2411;
    "KIX", "Kansai International Airport", "Osaka", "JP", Some("OSA"), "Asia/Tokyo", 34.4320, 135.2304;
    "LAS", "Harry Reid International Airport", "Las Vegas", "US", None, "America/Los_Angeles", 36.0840, -115.1537;
    "LAX", "Los Angeles International Airport", "Los Angeles", "US", None, "America/Los_Angeles", 33.9416, -118.4085;
    "LGA", "LaGuardia Airport", "New York", "US", Some("NYC"), "America/New_York", 40.7769, -73.8740;
    "LGW", "London Gatwick Airport", "London", "GB", Some("LON"), "Europe/London", 51.1537, -0.1821;
    "LHR", "London Heathrow Airport", "London", "GB", Some("LON"), "Europe/London", 51.4700, -0.4543;
    "LIM", "Jorge Chavez International Airport", "Lima", "PE", None, "America/Lima", -12.0219, -77.1143;
    "LIS", "Humberto Delgado Airport", "Lisbon", "PT", None, "Europe/Lisbon", 38.7742, -9.1342;
    "MAD", "Adolfo Suarez Madrid-Barajas Airport", "Madrid", "ES", None, "Europe/Madrid", 40.4983, -3.5676;
    "MAN", "Manchester Airport", "Manchester", "GB", None, "Europe/London", 53.3650, -2.2720;
    "MCO", "Orlando International Airport", "Orlando", "US", None, "America/New_York", 28.4312, -81.3081;
    "MDW", "Chicago Midway International Airport", "Chicago", "US", Some("CHI"), "America/Chicago", 41.7868, -87.7522;
    "MEL", "Melbourne Airport", "Melbourne", "AU", None, "Australia/Melbourne", -37.6690, 144.8410;
    "MEX", "Mexico City International Airport", "Mexico City", "MX", None, "America/Mexico_City", 19.4361, -99.0719;
    "MIA", "Miami International Airport", "Miami", "US", None, "America/New_York", 25.7959, -80.2870;
    "MSP", "Minneapolis-Saint Paul International Airport", "Minneapolis", "US", None, "America/Chicago", 44.8848, -93.2223;
    "MUC", "Munich Airport", "Munich", "DE", None, "Europe/Berlin", 48.3537, 11.7750;
    "MXP", "Milan Malpensa Airport", "Milan", "IT", Some("MIL"), "Europe/Rome", 45.6306, 8.7281;
    "NRT", "Narita International Airport", "Tokyo", "JP", Some("TYO"), "Asia/Tokyo", 35.7720, 140.3929;
    "OAK", "Oakland International Airport", "Oakland", "US", None, "America/Los_Angeles", 37.7126, -122.2197;
    "ORD", "O'Hare International Airport", "Chicago", "US", Some("CHI"), "America/Chicago", 41.9742, -87.9073;
    "ORY", "Paris Orly Airport", "Paris", "FR", Some("PAR"), "Europe/Paris", 48.7262, 2.3652;
    "OSL", "Oslo Airport Gardermoen", "Oslo", "NO", None, "Europe/Oslo", 60.1976, 11.1004;
    "PDX", "Portland International Airport", "Portland", "US", None, "America/Los_Angeles", 45.5898, -122.5951;
    "PEK", "Beijing Capital International Airport", "Beijing", "CN", Some("BJS"), "Asia/Shanghai", 40.0799, 116.6031;
    "PHL", "Philadelphia International Airport", "Philadelphia", "US", None, "America/New_York", 39.8744, -75.2424;
    "PHX", "Phoenix Sky Harbor International Airport", "Phoenix", "US", None, "America/Phoenix", 33.4352, -112.0101;
    "PRG", "Vaclav Havel Airport Prague", "Prague", "CZ", None, "Europe/Prague", 50.1008, 14.2600;
    "PVD", "Rhode Island T. F. Green International Airport", "Providence", "US", None, "America/New_York", 41.7240, -71.4282;
    "PVG", "Shanghai Pudong International Airport", "Shanghai", "CN", None, "Asia/Shanghai", 31.1443, 121.8083;
    "RAI", "Nelson Mandela International Airport", "Praia", "CV", None, "Atlantic/Cape_Verde", 14.9245, -23.4935;
    "SAN", "San Diego International Airport", "San Diego", "US", None, "America/Los_Angeles", 32.7338, -117.1933;
    "SCL", "Arturo Merino Benitez International Airport", "Santiago", "CL", None, "America/Santiago", -33.3930, -70.7858;
    "SEA", "Seattle-Tacoma International Airport", "Seattle", "US", None, "America/Los_Angeles", 47.4502, -122.3088;
    "SFO", "San Francisco International Airport", "San Francisco", "US", None, "America/Los_Angeles", 37.6213, -122.3790;
    "SIN", "Singapore Changi Airport", "Singapore", "SG", None, "Asia/Singapore", 1.3644, 103.9915;
    "SJC", "San Jose Mineta International Airport", "San Jose", "US", None, "America/Los_Angeles", 37.3639, -121.9289;
    "SLC", "Salt Lake City International Airport", "Salt Lake City", "US", None, "America/Denver", 40.7899, -111.9791;
    "STN", "London Stansted Airport", "London", "GB", Some("LON"), "Europe/London", 51.8860, 0.2389;
    "SYD", "Sydney Kingsford Smith Airport", "Sydney", "AU", None, "Australia/Sydney", -33.9399, 151.1753;
    "TPA", "Tampa International Airport", "Tampa", "US", None, "America/New_York", 27.9772, -82.5311;
    "VIE", "Vienna International Airport", "Vienna", "AT", None, "Europe/Vienna", 48.1103, 16.5697;
    "YUL", "Montreal-Trudeau International Airport", "Montreal", "CA", Some("YMQ"), "America/Toronto", 45.4706, -73.7408;
    "YVR", "Vancouver International Airport", "Vancouver", "CA", None, "America/Vancouver", 49.1967, -123.1815;
    "YYZ", "Toronto Pearson International Airport", "Toronto", "CA", Some("YTO"), "America/Toronto", 43.6777, -79.6248;
    "ZRH", "Zurich Airport", "Zurich", "CH", None, "Europe/Zurich", 47.4582, 8.5555;
}

/// A metropolitan area code that stands for several airports (NYC, LON...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct City {
    pub code: &'static str,
    pub name: &'static str,
    pub time_zone: &'static str,
}

/// Metropolitan city codes; each airport names its city in `city_code`.
pub static CITIES: &[City] = &[
    City {
        code: "BJS",
        name: "Beijing",
        time_zone: "Asia/Shanghai",
    },
    City {
        code: "BUE",
        name: "Buenos Aires",
        time_zone: "America/Argentina/Buenos_Aires",
    },
    City {
        code: "CHI",
        name: "Chicago",
        time_zone: "America/Chicago",
    },
    City {
        code: "LON",
        name: "London",
        time_zone: "Europe/London",
    },
    City {
        code: "MIL",
        name: "Milan",
        time_zone: "Europe/Rome",
    },
    City {
        code: "NYC",
        name: "New York",
        time_zone: "America/New_York",
    },
    City {
        code: "OSA",
        name: "Osaka",
        time_zone: "Asia/Tokyo",
    },
    City {
        code: "PAR",
        name: "Paris",
        time_zone: "Europe/Paris",
    },
    City {
        code: "RIO",
        name: "Rio de Janeiro",
        time_zone: "America/Sao_Paulo",
    },
    City {
        code: "ROM",
        name: "Rome",
        time_zone: "Europe/Rome",
    },
    City {
        code: "SAO",
        name: "Sao Paulo",
        time_zone: "America/Sao_Paulo",
    },
    City {
        code: "SEL",
        name: "Seoul",
        time_zone: "Asia/Seoul",
    },
    City {
        code: "STO",
        name: "Stockholm",
        time_zone: "Europe/Stockholm",
    },
    City {
        code: "TYO",
        name: "Tokyo",
        time_zone: "Asia/Tokyo",
    },
    City {
        code: "WAS",
        name: "Washington",
        time_zone: "America/New_York",
    },
    City {
        code: "YMQ",
        name: "Montreal",
        time_zone: "America/Toronto",
    },
    City {
        code: "YTO",
        name: "Toronto",
        time_zone: "America/Toronto",
    },
];
