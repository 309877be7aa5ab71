//! Generated worlds with many client businesses: a Solution Partner and `n` clients that go
//! round every onboarding case (eligible, each row of Meta's OBO intent table, every
//! ineligibility, coexistence, already onboarded, waiting for a payment method, a mix), for the
//! partner toolkit's end-to-end test and the full-funnel benchmark.
//!
//! The world is written as a world file (YAML), so it reads like any other and goes through the
//! same checks when it is loaded. IDs are fixed and derived from the client's index, so a test
//! knows each client's business and WABA IDs without asking.

use std::fmt::Write as _;

/// The partner's business ID in a generated world.
pub const PARTNER_BUSINESS: u64 = 1_000;
/// The partner app's ID.
pub const PARTNER_APP: u64 = 2_000;
/// The partner app's secret.
pub const PARTNER_APP_SECRET: &str = "clients-app-secret-00000000000000";
/// The partner's system user token (plain; the platform stores its hash).
pub const PARTNER_TOKEN: &str = "clients-partner-system-user-token-0000";
/// The marketing template every client with a number has.
pub const MARKETING_TEMPLATE: &str = "seasonal_offer";
/// Its language.
pub const TEMPLATE_LANGUAGE: &str = "en_US";

/// The onboarding case a client stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientCase {
    /// One shared WABA, eligible.
    Eligible,
    /// OBO table: one shared WABA and four OBO WABAs that already have a migration intent.
    SharedAndOboWithIntent,
    /// OBO table: five OBO WABAs with a migration intent, none shared.
    OboOnlyWithIntent,
    /// OBO table: one shared WABA and four OBO WABAs without an intent (the request sets them).
    SharedAndOboWithoutIntent,
    /// OBO table: five OBO WABAs without an intent, none shared.
    OboOnlyWithoutIntent,
    /// OBO table: nothing shared with the partner and nothing OBO (the partner cannot see it).
    NotAClient,
    /// The WABA's tax country is not supported.
    TaxCountryNotSupported,
    /// The owning business is in a country that is not supported.
    OwnerCountryNotSupported,
    /// The WABA is restricted.
    Restricted,
    /// The WABA is disabled.
    Disabled,
    /// The number is also used with the WhatsApp Business app.
    Coexistence,
    /// Terms signed long ago: onboarded.
    AlreadyOnboarded,
    /// Eligible, but without a valid payment method: setup waits after signing.
    NoPaymentMethod,
    /// One eligible WABA and one in a country that is not supported.
    Mixed,
}

impl ClientCase {
    /// Every case, in the order clients go round them.
    pub const ALL: [Self; 14] = [
        Self::Eligible,
        Self::SharedAndOboWithIntent,
        Self::OboOnlyWithIntent,
        Self::SharedAndOboWithoutIntent,
        Self::OboOnlyWithoutIntent,
        Self::NotAClient,
        Self::TaxCountryNotSupported,
        Self::OwnerCountryNotSupported,
        Self::Restricted,
        Self::Disabled,
        Self::Coexistence,
        Self::AlreadyOnboarded,
        Self::NoPaymentMethod,
        Self::Mixed,
    ];

    /// The case of client `index`.
    pub const fn of(index: usize) -> Self {
        Self::ALL[index % Self::ALL.len()]
    }

    /// (shared, OBO) WABAs the partner holds of a client in this case; the first WABA is the
    /// shared one when there is one.
    const fn holdings(self) -> (usize, usize) {
        match self {
            Self::SharedAndOboWithIntent | Self::SharedAndOboWithoutIntent => (1, 4),
            Self::OboOnlyWithIntent | Self::OboOnlyWithoutIntent => (0, 5),
            Self::NotAClient => (0, 0),
            Self::Mixed => (2, 0),
            _ => (1, 0),
        }
    }
}

/// One client of a generated world.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    /// Its index, from 0.
    pub index: usize,
    /// Its case.
    pub case: ClientCase,
    /// Its business ID.
    pub business_id: u64,
    /// Its WABAs' IDs (for [`ClientCase::NotAClient`], one WABA nobody shares).
    pub waba_ids: Vec<u64>,
    /// Phone number IDs, one per WABA, in the same order.
    pub phone_ids: Vec<u64>,
}

impl Client {
    /// Client `index` of a generated world, in the case the index goes round to.
    pub fn new(index: usize) -> Self {
        Self::with_case(index, ClientCase::of(index))
    }

    /// Client `index` in `case`.
    pub fn with_case(index: usize, case: ClientCase) -> Self {
        let (shared, obo) = case.holdings();
        let wabas = (shared + obo).max(1);
        let base = 10_000_000 + 10 * index as u64;
        Self {
            index,
            case,
            business_id: 100_000 + index as u64,
            waba_ids: (0..wabas as u64).map(|w| base + w).collect(),
            phone_ids: (0..wabas as u64)
                .map(|w| 500_000_000 + 10 * index as u64 + w)
                .collect(),
        }
    }
}

/// The clients of a world of `n`.
pub fn clients(n: usize) -> Vec<Client> {
    (0..n).map(Client::new).collect()
}

/// A world file (YAML) with the partner and `n` clients going round every case. The
/// partner's app subscribes to every client WABA; app-level webhooks are left to the caller
/// (`/{app-id}/subscriptions`), since the receiver's address is rarely known before the
/// platform starts.
pub fn clients_world(n: usize) -> String {
    world_of(&clients(n))
}

/// A world file (YAML) with the partner and the given `clients`.
pub fn world_of(clients: &[Client]) -> String {
    let n = clients.len();
    let mut out = String::with_capacity(2_000 + n * 1_500);
    let _ = write!(
        out,
        r#"# A Solution Partner and {n} client businesses going round every onboarding case.
format: wamm-world/1
apps:
  - key: connect
    id: "{PARTNER_APP}"
    name: Clients Connect
    secret: {PARTNER_APP_SECRET}
    business: partner
    partner_type: BSP
    permissions:
      whatsapp_business_messaging: advanced
      whatsapp_business_management: advanced
      business_management: advanced
      ads_read: standard
businesses:
  - key: partner
    id: "{PARTNER_BUSINESS}"
    name: Clients Partner
    country: US
    people:
      - {{ name: Partner Admin, email: admin@partner.example, role: ADMIN }}
    system_users:
      - name: Partner Ops
        role: ADMIN
        tokens:
          - app: connect
            token: {PARTNER_TOKEN}
            scopes: [whatsapp_business_messaging, whatsapp_business_management, business_management]
"#
    );
    for client in clients {
        write_client(&mut out, client);
    }
    out
}

fn write_client(out: &mut String, c: &Client) {
    let i = c.index;
    let country = match c.case {
        ClientCase::OwnerCountryNotSupported => "CU",
        _ => "BR",
    };
    let _ = write!(
        out,
        r#"  - key: client-{i}
    id: "{}"
    name: Client {i} ({:?})
    country: {country}
"#,
        c.business_id, c.case
    );
    if c.case == ClientCase::AlreadyOnboarded {
        let _ = writeln!(out, "    mm_terms_signed_at: 2025-10-07T10:00:00Z");
        let _ = writeln!(out, "    mm_terms_signed_by: admin-{i}");
    }
    let _ = write!(
        out,
        r#"    people:
      - {{ key: admin-{i}, name: Admin {i}, email: admin@client-{i}.example, role: ADMIN }}
    wabas:
"#
    );
    let (shared, _) = c.case.holdings();
    for (w, (waba, phone)) in c.waba_ids.iter().zip(&c.phone_ids).enumerate() {
        let tax_country = match (c.case, w) {
            (ClientCase::TaxCountryNotSupported, _) | (ClientCase::Mixed, 1) => "IR",
            _ => "BR",
        };
        let _ = write!(
            out,
            r#"      - key: waba-{i}-{w}
        id: "{waba}"
        name: Client {i} WABA {w}
        tax_country: {tax_country}
"#
        );
        match c.case {
            ClientCase::Restricted => {
                let _ = writeln!(out, "        status: RESTRICTED");
            }
            ClientCase::Disabled => {
                let _ = writeln!(out, "        status: DISABLED");
            }
            ClientCase::NoPaymentMethod => {
                let _ = writeln!(out, "        payment_method: false");
            }
            _ => {}
        }
        if c.case != ClientCase::NotAClient {
            let (access, intent) = if w < shared {
                ("SHARED", "false")
            } else if matches!(
                c.case,
                ClientCase::SharedAndOboWithIntent | ClientCase::OboOnlyWithIntent
            ) {
                ("OBO", "{ set_at: 2025-09-01T09:30:00Z }")
            } else {
                ("OBO", "false")
            };
            let _ = write!(
                out,
                r#"        partners:
          - {{ business: partner, access: {access}, migration_intent: {intent} }}
        subscribed_apps:
          - app: connect
"#
            );
        }
        let _ = write!(
            out,
            r#"        phone_numbers:
          - id: "{phone}"
            display_phone_number: "+55 11 9{:04} {:04}"
            verified_name: Client {i}
            coexistence: {}
        templates:
          - name: {MARKETING_TEMPLATE}
            language: {TEMPLATE_LANGUAGE}
            category: MARKETING
            created_at: 2025-10-01
            components:
              - type: BODY
                text: "Hi {{{{1}}}}, {{{{2}}}} off this week."
                example:
                  body_text: [["Ana", "10%"]]
"#,
            i % 10_000,
            (i / 10_000) * 10 + w,
            c.case == ClientCase::Coexistence,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_world_loads_with_every_case() {
        let n = 3 * ClientCase::ALL.len();
        let text = clients_world(n);
        let file = crate::parse(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(file.businesses.len(), n + 1);
        let loaded = file
            .build(
                &mut crate::SeqMint::default(),
                wamm_domain::Timestamp::from_millis(1_760_000_000_000),
            )
            .unwrap_or_else(|e| panic!("{e}"));
        let wabas: usize = clients(n).iter().map(|c| c.waba_ids.len()).sum();
        assert_eq!(loaded.state.wabas.len(), wabas);
        assert_eq!(loaded.issued.len(), 1);
        assert_eq!(loaded.issued[0].token, PARTNER_TOKEN);
        for case in ClientCase::ALL {
            assert_eq!(clients(n).iter().filter(|c| c.case == case).count(), 3);
        }
    }

    #[test]
    fn ids_and_numbers_are_unique() {
        let all = clients(25_000);
        let mut wabas: Vec<u64> = all.iter().flat_map(|c| c.waba_ids.clone()).collect();
        let mut phones: Vec<u64> = all.iter().flat_map(|c| c.phone_ids.clone()).collect();
        let total = wabas.len();
        wabas.sort_unstable();
        wabas.dedup();
        phones.sort_unstable();
        phones.dedup();
        assert_eq!((wabas.len(), phones.len()), (total, total));
    }
}
