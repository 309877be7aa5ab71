//! A fake Graph for the orchestrator's moves: it records what it was asked and answers from
//! what the test set up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use wamm_partner::graph::{
    AdInsights, ConversionSetup, Endpoint, GraphFailure, IntentOutcome, PartnerGraph,
    RemoteTemplate, RemoteWaba, TemplateDay,
};
use wamm_partner::send::SendOrder;
use wamm_partner::stage::{BusinessStatus, WabaStatus};
use wamm_partner::store::PartnerStore;
use wamm_partner::vault::{Key, Secret, Vault};

/// Graph as a test sets it up.
#[derive(Default)]
pub struct FakeGraph {
    pub wabas: Mutex<Vec<RemoteWaba>>,
    /// Business → the error code its Intent API call fails with.
    pub refuse: HashMap<String, i64>,
    pub asked: Mutex<Vec<String>>,
    pub in_flight: AtomicUsize,
    pub most_in_flight: AtomicUsize,
    /// Business → WABAs its token covers.
    pub covers: HashMap<String, Vec<String>>,
    /// (WABA, template, language) → category.
    pub categories: HashMap<(String, String, String), String>,
    /// Sends made: (endpoint, phone, recipient, template).
    pub sent: Mutex<Vec<(Endpoint, String, String, String)>>,
    /// The token each send used, in order (`None`: the partner's own credentials).
    pub senders: Mutex<Vec<Option<String>>>,
    /// Embedded Signup codes not yet used → the business they are for.
    pub codes: Mutex<HashMap<String, String>>,
    /// What the signup calls did, in order.
    pub calls: Mutex<Vec<String>>,
    /// WABA → its template analytics.
    pub metrics: HashMap<String, Vec<TemplateDay>>,
    /// WABAs whose template analytics are refused (insights not confirmed).
    pub no_insights: Vec<String>,
    /// WABA → its templates as conversion readiness reads them.
    pub templates: Mutex<HashMap<String, Vec<RemoteTemplate>>>,
    /// WABA → what its ad account's Insights answer (every day; filtered by the range asked).
    pub insights: HashMap<String, AdInsights>,
    /// WABAs whose ad account refuses the business token (no `ads_read`: 403, code 200).
    pub no_ads_read: Vec<String>,
    /// The (token, WABA) of each Insights read, in order.
    pub insights_reads: Mutex<Vec<(String, String)>>,
    /// WABA → the datasets of its owner business; a WABA not listed refuses the read.
    pub datasets: HashMap<String, Vec<String>>,
}

impl FakeGraph {
    /// Graph holding `wabas`, each business's token covering its WABAs.
    pub fn holding(wabas: Vec<RemoteWaba>) -> Self {
        let mut graph = Self::default();
        for w in &wabas {
            graph
                .covers
                .entry(w.business_id.clone())
                .or_default()
                .push(w.id.clone());
        }
        *graph.wabas.lock().expect("lock") = wabas;
        graph
    }
}

#[async_trait::async_trait]
impl PartnerGraph for FakeGraph {
    async fn client_wabas(&self) -> Result<Vec<RemoteWaba>, GraphFailure> {
        Ok(self.wabas.lock().expect("lock").clone())
    }

    async fn request_onboarding(&self, business: &str) -> Result<IntentOutcome, GraphFailure> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.asked.lock().expect("lock").push(business.to_owned());
        match self.refuse.get(business) {
            Some(&code) => Err(GraphFailure {
                code,
                message: format!("refused with {code}"),
            }),
            None => Ok(IntentOutcome::Requested {
                request_id: format!("req-{business}"),
            }),
        }
    }

    async fn business_token(&self, business: &str) -> Result<Secret, GraphFailure> {
        Ok(Secret::new(format!("EAAG-token-of-{business}")))
    }

    async fn token_wabas(&self, token: &Secret) -> Result<Vec<String>, GraphFailure> {
        let business = token.expose().trim_start_matches("EAAG-token-of-");
        Ok(self.covers.get(business).cloned().unwrap_or_default())
    }

    async fn template_category(
        &self,
        _token: Option<&Secret>,
        waba: &str,
        name: &str,
        language: &str,
    ) -> Result<Option<String>, GraphFailure> {
        Ok(self
            .categories
            .get(&(waba.to_owned(), name.to_owned(), language.to_owned()))
            .cloned())
    }

    async fn exchange_code(&self, code: &str) -> Result<Secret, GraphFailure> {
        self.calls
            .lock()
            .expect("lock")
            .push(format!("exchange {code}"));
        match self.codes.lock().expect("lock").remove(code) {
            Some(business) => Ok(Secret::new(format!("EAAG-token-of-{business}"))),
            None => Err(GraphFailure {
                code: 100,
                message: "This authorization code has been used.".into(),
            }),
        }
    }

    async fn waba(&self, _token: &Secret, waba: &str) -> Result<RemoteWaba, GraphFailure> {
        self.wabas
            .lock()
            .expect("lock")
            .iter()
            .find(|w| w.id == waba)
            .cloned()
            .ok_or(GraphFailure {
                code: 100,
                message: "no such WABA".into(),
            })
    }

    async fn subscribe(&self, _token: &Secret, waba: &str) -> Result<(), GraphFailure> {
        self.calls
            .lock()
            .expect("lock")
            .push(format!("subscribe {waba}"));
        Ok(())
    }

    async fn register(&self, _token: &Secret, phone: &str, pin: &str) -> Result<(), GraphFailure> {
        self.calls
            .lock()
            .expect("lock")
            .push(format!("register {phone} {pin}"));
        Ok(())
    }

    async fn template_metrics(
        &self,
        _token: Option<&Secret>,
        waba: &str,
        start: i64,
        end: i64,
    ) -> Result<Vec<TemplateDay>, GraphFailure> {
        if self.no_insights.iter().any(|w| w == waba) {
            return Err(GraphFailure {
                code: 100,
                message: "Template insights are not enabled for this WhatsApp Business Account"
                    .into(),
            });
        }
        Ok(self
            .metrics
            .get(waba)
            .map(|days| {
                days.iter()
                    .filter(|d| d.day >= start && d.day < end)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn conversion_setup(
        &self,
        _token: Option<&Secret>,
        waba: &str,
    ) -> Result<ConversionSetup, GraphFailure> {
        let status = self
            .wabas
            .lock()
            .expect("lock")
            .iter()
            .find(|w| w.id == waba)
            .map(|w| w.status.clone())
            .ok_or_else(|| GraphFailure {
                code: 100,
                message: format!("no WABA {waba}"),
            })?;
        Ok(ConversionSetup {
            status,
            insights_enabled: Some(!self.no_insights.iter().any(|w| w == waba)),
            templates: self
                .templates
                .lock()
                .expect("lock")
                .get(waba)
                .cloned()
                .unwrap_or_default(),
        })
    }

    async fn ad_insights(
        &self,
        token: &Secret,
        waba: &str,
        start: i64,
        end: i64,
    ) -> Result<AdInsights, GraphFailure> {
        self.insights_reads
            .lock()
            .expect("lock")
            .push((token.expose().to_owned(), waba.to_owned()));
        if self.no_ads_read.iter().any(|w| w == waba) {
            return Err(GraphFailure {
                code: 200,
                message: "(#200) Ad account owner has NOT grant ads_management or ads_read \
                          permission"
                    .into(),
            });
        }
        Ok(match self.insights.get(waba) {
            Some(AdInsights::Days { account_id, days }) => AdInsights::Days {
                account_id: account_id.clone(),
                days: days
                    .iter()
                    .filter(|d| d.day >= start && d.day < end)
                    .cloned()
                    .collect(),
            },
            _ => AdInsights::NoAdAccount,
        })
    }

    async fn datasets(
        &self,
        _token: Option<&Secret>,
        waba: &str,
    ) -> Result<Vec<String>, GraphFailure> {
        self.datasets
            .get(waba)
            .cloned()
            .ok_or_else(|| GraphFailure {
                code: 200,
                message: format!("no access to the datasets of {waba}"),
            })
    }

    async fn send_template(
        &self,
        token: Option<&Secret>,
        endpoint: Endpoint,
        phone: &str,
        message: &SendOrder,
    ) -> Result<String, GraphFailure> {
        let mut sent = self.sent.lock().expect("lock");
        self.senders
            .lock()
            .expect("lock")
            .push(token.map(|t| t.expose().to_owned()));
        sent.push((
            endpoint,
            phone.to_owned(),
            message.to.clone(),
            message.template.clone(),
        ));
        Ok(format!("wamid.{}", sent.len()))
    }
}

/// A client WABA of `business` with a registered number.
pub fn remote(id: &str, business: &str, status: WabaStatus) -> RemoteWaba {
    RemoteWaba {
        id: id.into(),
        name: format!("WABA {id}"),
        status,
        business_id: business.into(),
        business_name: format!("Business {business}"),
        business_status: Some(BusinessStatus::NotStarted),
        phone_number_id: Some(format!("p{id}")),
    }
}

/// A fresh in-memory store.
pub async fn store() -> Arc<dyn PartnerStore> {
    wamm_partner::store::connect("sqlite::memory:")
        .await
        .expect("store")
}

/// A vault under a fresh key.
pub fn vault() -> Vault {
    Vault::new(Key::generate("k").expect("key").0, vec![]).expect("vault")
}

/// Serves `app` on a free local port; returns `http://addr`.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}
