//! Pagination of lists shown in chat.

/// A page of a list: 1-based `page` out of `pages` (at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub page: u32,
    pub pages: u32,
    pub per_page: u32,
}

impl Page {
    /// Clamps a requested page into range for `total` items.
    pub fn new(requested: u32, total: i64, per_page: u32) -> Self {
        let per = i64::from(per_page.max(1));
        let pages = u32::try_from(((total.max(0) + per - 1) / per).max(1)).unwrap_or(u32::MAX);
        Self { page: requested.clamp(1, pages), pages, per_page: per_page.max(1) }
    }

    pub fn offset(&self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    pub fn has_next(&self) -> bool {
        self.page < self.pages
    }

    pub fn has_prev(&self) -> bool {
        self.page > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn clamps() {
        let p = Page::new(9, 25, 10);
        assert_eq!((p.page, p.pages, p.offset()), (3, 3, 20));
        let p = Page::new(0, 0, 10);
        assert_eq!((p.page, p.pages, p.has_next(), p.has_prev()), (1, 1, false, false));
    }

    proptest! {
        #[test]
        fn page_always_in_range(req in 0u32..100_000, total in 0i64..1_000_000, per in 1u32..50) {
            let p = Page::new(req, total, per);
            prop_assert!(p.page >= 1 && p.page <= p.pages);
            prop_assert!(p.offset() <= total.max(0));
        }
    }
}
