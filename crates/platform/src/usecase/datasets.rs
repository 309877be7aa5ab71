//! A WABA's datasets: the pixels of the business that owns it (a dataset and a pixel share
//! their ID). `POST /{waba-id}/dataset` makes one when the business has none and otherwise
//! answers with the one it has, so creating twice gives the same dataset, across replicas
//! too (the store allows one created dataset per business).

use serde_json::json;
use wamm_domain::capi::Pixel;
use wamm_domain::{NewEvent, Waba};
use wamm_store::{ChangeSet, Conflict, Put, StoreError};
use wamm_wire::ids::PixelId;
use wamm_world::Mint as _;

use crate::context::Platform;

/// The datasets of `waba`: its owner business's pixels, by ID.
pub async fn of_waba(platform: &Platform, waba: &Waba) -> Result<Vec<Pixel>, StoreError> {
    platform.store.pixels_owned_by(waba.owner_business_id).await
}

/// The dataset of `waba`'s owner business: the first it has, or a new one called `name`.
pub async fn ensure(platform: &Platform, waba: &Waba, name: &str) -> Result<Pixel, StoreError> {
    if let Some(first) = of_waba(platform, waba).await?.into_iter().next() {
        return Ok(first);
    }
    let mut block = platform.minter.block(1).await?;
    let pixel = Pixel {
        id: PixelId::new(block.next_id()),
        name: name.to_owned(),
        owner_business_id: waba.owner_business_id,
        domains: Vec::new(),
        dataset: true,
        created_at: platform.clock.now(),
    };
    let event = NewEvent {
        at: pixel.created_at,
        kind: "dataset.created".into(),
        subject: format!("pixel:{}", pixel.id),
        detail: json!({
            "name": pixel.name,
            "waba_id": waba.id.to_string(),
            "owner_business_id": pixel.owner_business_id.to_string(),
        }),
    };
    match platform
        .commit(ChangeSet::new().put(Put::Pixel(pixel.clone())).event(event))
        .await
    {
        Ok(_) => Ok(pixel),
        // Another call made the business's dataset meanwhile: that one is the answer.
        Err(StoreError::Conflict(Conflict::PixelsOneDataset)) => {
            match of_waba(platform, waba).await?.into_iter().next() {
                Some(first) => Ok(first),
                None => Err(StoreError::Conflict(Conflict::PixelsOneDataset)),
            }
        }
        Err(e) => Err(e),
    }
}
