//! Conversions: a recipient who clicked a message's link goes on to add to cart, check out,
//! buy or open the business's app, and the conversion is attributed to the message (last
//! touch, within the attribution window), counted in its analytics facts.

use serde_json::json;
use wamm_domain::metrics::{self, Channel, ConversionEvent, Fact, Unattributed};
use wamm_domain::{Message, NewEvent};
use wamm_store::{ChangeSet, StoreError};

use crate::context::Platform;

/// Why a conversion was not counted.
#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    /// The message has no click the conversion can be attributed to.
    #[error(transparent)]
    Unattributed(#[from] Unattributed),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Counts `event` on `channel`, worth `value_micros` (purchases), for `message` now.
pub async fn convert(
    platform: &Platform,
    message: &Message,
    event: ConversionEvent,
    channel: Channel,
    value_micros: i64,
) -> Result<Fact, ConvertError> {
    let now = platform.clock.now();
    let fact = metrics::conversion_fact(message, event, channel, value_micros, now)?;
    let logged = NewEvent {
        at: now,
        kind: "message.converted".into(),
        subject: format!("message:{}", message.id),
        detail: json!({
            "event": format!("{event:?}"),
            "channel": format!("{channel:?}").to_ascii_lowercase(),
            "value": metrics::from_micros(value_micros),
            "counted_on": fact.key.day.start().date(),
        }),
    };
    platform
        .commit(ChangeSet::new().fact(fact).event(logged))
        .await?;
    Ok(fact)
}
