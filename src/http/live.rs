//! Live WebSocket connections counted per client address and per account, for the caps on them
//! (`INVENTORY_WS_MAX_PER_ADDRESS`, `INVENTORY_WS_MAX_PER_TOKEN`). A [`Slot`] is held for as long
//! as its connection lives and gives its place back when dropped. The counts are this instance's:
//! behind a load balancer each instance caps its own connections.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Live connections by key (`addr:…`, `account:…`).
#[derive(Debug, Default)]
pub struct Live(Mutex<HashMap<String, usize>>);

/// One connection's place under a cap.
#[derive(Debug)]
pub struct Slot {
    live: Arc<Live>,
    key: String,
}

impl Live {
    /// A place for one more connection of `key`, or None when `cap` are open already.
    pub fn take(self: &Arc<Self>, key: String, cap: usize) -> Option<Slot> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(key.clone()).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(Slot {
            live: self.clone(),
            key,
        })
    }

    /// WebSocket connections open now (each holds one place under its address).
    pub fn connections(&self) -> usize {
        let counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        counts
            .iter()
            .filter(|(k, _)| k.starts_with("addr:"))
            .map(|(_, n)| n)
            .sum()
    }

    /// Connections of `key` open now.
    pub fn count(&self, key: &str) -> usize {
        let counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        counts.get(key).copied().unwrap_or(0)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.live.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_capped_and_given_back() {
        let live = Arc::new(Live::default());
        let a = live.take("addr:1".into(), 2).unwrap();
        let b = live.take("addr:1".into(), 2).unwrap();
        assert!(live.take("addr:1".into(), 2).is_none());
        assert!(live.take("addr:2".into(), 2).is_some());
        drop(a);
        assert_eq!(live.count("addr:1"), 1);
        let _c = live.take("addr:1".into(), 2).unwrap();
        drop(b);
        assert_eq!(live.count("addr:1"), 1);
    }
}
