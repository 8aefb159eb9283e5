//! Payments (issue 18): the gateways' wire code, kept free of orders, storage and HTTP routes.
pub mod gateways;
