//! `dict`: an insertion-ordered hash map, a hashbrown `HashTable` of
//! indices into an entry vector (CPython's compact dict layout).

use hashbrown::HashTable;
use objmodel::cycles::traverse::{Clear, Traverse, VisitResult, Visitor};

use crate::obj::Obj;

/// The payload of a dict (and of an instance's attributes).
#[derive(Default)]
pub struct Dict {
    table: HashTable<usize>,
    entries: Vec<Option<(i64, Obj, Obj)>>,
    len: usize,
}

impl Dict {
    /// An empty dict.
    pub fn new() -> Dict {
        Dict::default()
    }

    /// How many items.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The index of `key` (hash `h`), compared with `eq`.
    fn find(&self, h: i64, key: &Obj, eq: &dyn Fn(&Obj, &Obj) -> bool) -> Option<usize> {
        self.table
            .find(h as u64, |&i| {
                self.entries[i]
                    .as_ref()
                    .is_some_and(|(eh, k, _)| *eh == h && (k.is_same(key) || eq(k, key)))
            })
            .copied()
    }

    /// The value for `key`.
    pub fn get(&self, h: i64, key: &Obj, eq: &dyn Fn(&Obj, &Obj) -> bool) -> Option<Obj> {
        let i = self.find(h, key, eq)?;
        self.entries[i].as_ref().map(|(_, _, v)| v.clone())
    }

    /// Sets `key` to `value`; returns the value replaced (the caller drops
    /// it after releasing any borrow of the dict, so a `__del__` it runs
    /// may use the dict).
    pub fn set(
        &mut self,
        h: i64,
        key: Obj,
        value: Obj,
        eq: &dyn Fn(&Obj, &Obj) -> bool,
    ) -> Option<Obj> {
        if let Some(i) = self.find(h, &key, eq) {
            let slot = self.entries[i].as_mut().expect("found entries are full");
            return Some(core::mem::replace(&mut slot.2, value));
        }
        let i = self.entries.len();
        self.entries.push(Some((h, key, value)));
        let entries = &self.entries;
        self.table.insert_unique(h as u64, i, |&j| {
            entries[j].as_ref().map_or(0, |(eh, _, _)| *eh as u64)
        });
        self.len += 1;
        None
    }

    /// Removes `key`; returns the entry (to be dropped by the caller
    /// outside any borrow).
    pub fn remove(
        &mut self,
        h: i64,
        key: &Obj,
        eq: &dyn Fn(&Obj, &Obj) -> bool,
    ) -> Option<(Obj, Obj)> {
        let i = self.find(h, key, eq)?;
        if let Ok(entry) = self.table.find_entry(h as u64, |&j| j == i) {
            entry.remove();
        }
        let (_, k, v) = self.entries[i].take()?;
        self.len -= 1;
        if self.entries.len() > 16 && self.len < self.entries.len() / 4 {
            self.compact();
        }
        Some((k, v))
    }

    /// Drops the holes left by removals and rebuilds the index.
    fn compact(&mut self) {
        self.entries.retain(Option::is_some);
        self.table.clear();
        for (i, e) in self.entries.iter().enumerate() {
            let h = e.as_ref().map_or(0, |(h, _, _)| *h);
            let entries = &self.entries;
            self.table.insert_unique(h as u64, i, |&j| {
                entries[j].as_ref().map_or(0, |(eh, _, _)| *eh as u64)
            });
        }
    }

    /// The items in insertion order.
    pub fn items(&self) -> impl Iterator<Item = (&Obj, &Obj)> {
        self.entries.iter().flatten().map(|(_, k, v)| (k, v))
    }

    /// Takes every entry out, leaving the dict empty.
    pub fn take_all(&mut self) -> Vec<(Obj, Obj)> {
        self.table.clear();
        self.len = 0;
        core::mem::take(&mut self.entries)
            .into_iter()
            .flatten()
            .map(|(_, k, v)| (k, v))
            .collect()
    }
}

impl Traverse for Dict {
    fn traverse(&self, visitor: &mut Visitor<'_>) -> VisitResult {
        for (k, v) in self.items() {
            k.traverse(visitor)?;
            v.traverse(visitor)?;
        }
        Ok(())
    }
}

impl Clear for Dict {
    fn clear(&self) {}
}
