//! Moving the MTA-STS policies of a data directory's `mta-sts.db` (where
//! Sealane kept them before they lived in the queue's store) into the
//! store, once, so an upgrade does not forget a policy in force: a
//! forgotten `enforce` policy would let an attacker who blocks the next
//! fetch deliver without it.

use std::path::Path;

use policy::sts::{CacheError, PolicyCache, PolicyStore};

/// The file's name in the data directory.
pub const LEGACY_FILE: &str = "mta-sts.db";

/// Copies every cached policy of `dir/mta-sts.db` that `store` does not
/// hold yet, then renames the file to `mta-sts.db.imported`; returns how
/// many policies were copied (0 when there is no file).
pub async fn import_legacy_cache(dir: &Path, store: &dyn PolicyStore) -> Result<u64, CacheError> {
    let path = dir.join(LEGACY_FILE);
    if !path.exists() {
        return Ok(0);
    }
    let legacy = PolicyCache::open(&path)?;
    let mut copied = 0;
    for domain in legacy.domains()? {
        let Some(cached) = legacy.get(&domain)?.policy else {
            continue;
        };
        if store.sts_entry(&domain).await?.policy.is_none() {
            store
                .store_sts_policy(&domain, &cached.id, &cached.policy, cached.fetched_at)
                .await?;
            copied += 1;
        }
    }
    drop(legacy);
    let mut done = path.clone().into_os_string();
    done.push(".imported");
    if let Err(error) = std::fs::rename(&path, &done) {
        tracing::warn!(%error, path = %path.display(), "cannot rename the imported MTA-STS cache");
    }
    Ok(copied)
}
