//! Fair shares of the concurrency slots: how many requests each key (by its tally) and each
//! client address have in progress, so that one caller cannot hold every slot. Counted in this
//! process, like the slots themselves; an entry leaves the table when its count returns to zero.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Holder {
    Key(u64),
    Address(IpAddr),
}

#[derive(Default)]
pub(crate) struct Shares {
    held: Mutex<HashMap<Holder, usize>>,
}

/// Which share a refused request had already used up.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Over {
    Key(usize),
    Address(usize),
}

impl Over {
    pub(crate) fn reason(&self) -> &'static str {
        match self {
            Over::Key(_) => "share_per_key",
            Over::Address(_) => "share_per_address",
        }
    }

    pub(crate) fn message(&self) -> String {
        match self {
            Over::Key(n) => format!(
                "this fal key already has {n} requests in progress, its share of this server; retry when one ends"
            ),
            Over::Address(n) => format!(
                "your address already has {n} requests in progress, its share of this server; retry when one ends"
            ),
        }
    }
}

/// One request's place in its key's and its address's share, given back when dropped.
pub(crate) struct Share {
    shares: Arc<Shares>,
    holders: Vec<Holder>,
}

impl Shares {
    /// A place for a request of `key` from `address`, unless either already holds its share.
    pub(crate) fn take(
        self: &Arc<Self>,
        key: Option<u64>,
        address: Option<IpAddr>,
        per_key: usize,
        per_address: usize,
    ) -> Result<Share, Over> {
        let wanted: Vec<(Holder, usize)> =
            [key.map(|k| (Holder::Key(k), per_key)), address.map(|a| (Holder::Address(a), per_address))]
                .into_iter()
                .flatten()
                .collect();
        let mut held = self.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (holder, limit) in &wanted {
            if held.get(holder).copied().unwrap_or(0) >= *limit {
                return Err(match holder {
                    Holder::Key(_) => Over::Key(*limit),
                    Holder::Address(_) => Over::Address(*limit),
                });
            }
        }
        for (holder, _) in &wanted {
            *held.entry(*holder).or_insert(0) += 1;
        }
        Ok(Share { shares: self.clone(), holders: wanted.into_iter().map(|(h, _)| h).collect() })
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.held.lock().unwrap().len()
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        let mut held = self.shares.held.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for holder in &self.holders {
            if let Some(count) = held.get_mut(holder) {
                *count -= 1;
                if *count == 0 {
                    held.remove(holder);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fal::FalKey;

    #[test]
    fn a_key_and_an_address_each_hold_at_most_their_share() {
        let shares = Arc::new(Shares::default());
        let alice = FalKey::new("alice:secret").unwrap().tally();
        let bob = FalKey::new("bob:secret").unwrap().tally();
        let here: IpAddr = "192.0.2.1".parse().unwrap();
        let there: IpAddr = "192.0.2.2".parse().unwrap();
        let first = shares.take(Some(alice), Some(here), 2, 3).unwrap();
        let _second = shares.take(Some(alice), Some(there), 2, 3).unwrap();
        assert_eq!(shares.take(Some(alice), Some(there), 2, 3).err(), Some(Over::Key(2)));
        let _bob = shares.take(Some(bob), Some(here), 2, 3).unwrap();
        let _bob2 = shares.take(Some(bob), Some(here), 2, 3).unwrap();
        assert_eq!(shares.take(None, Some(here), 2, 3).err(), Some(Over::Address(3)));
        drop(first);
        assert!(shares.take(Some(alice), Some(there), 2, 3).is_ok(), "a finished request gives its place back");
        let refused_left_nothing = shares.take(Some(alice), Some(there), 1, 1);
        assert!(refused_left_nothing.is_err());
    }

    #[test]
    fn the_table_empties_when_requests_end() {
        let shares = Arc::new(Shares::default());
        let key = FalKey::new("k:s").unwrap().tally();
        let held: Vec<_> =
            (0..3).map(|_| shares.take(Some(key), Some("192.0.2.9".parse().unwrap()), 5, 5).unwrap()).collect();
        assert_eq!(shares.len(), 2);
        drop(held);
        assert_eq!(shares.len(), 0);
    }
}
