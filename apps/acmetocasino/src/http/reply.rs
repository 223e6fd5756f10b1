//! Responders that keep their schema in the OpenAPI document.

use actix_web::body::BoxBody;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, Responder};
use paperclip::actix::{CreatedJson, OperationModifier, web};
use paperclip::v2::models::{DefaultOperationRaw, DefaultSchemaRaw};
use paperclip::v2::schema::Apiv2Schema;
use serde::Serialize;
use std::collections::BTreeMap;

/// `201 Created` with a JSON body. A replayed idempotent request answers with the
/// original result and `Idempotent-Replayed: true`.
pub struct Created<T> {
    pub body: T,
    pub replayed: bool,
}

impl<T: Serialize> Responder for Created<T> {
    type Body = BoxBody;
    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let mut r = HttpResponse::Created();
        r.insert_header(("Idempotent-Replayed", if self.replayed { "true" } else { "false" }));
        r.json(self.body)
    }
}

impl<T: Apiv2Schema + Serialize> Apiv2Schema for Created<T> {}

impl<T: Apiv2Schema + Serialize> OperationModifier for Created<T> {
    fn update_response(op: &mut DefaultOperationRaw) {
        CreatedJson::<T>::update_response(op)
    }
    fn update_definitions(map: &mut BTreeMap<String, DefaultSchemaRaw>) {
        CreatedJson::<T>::update_definitions(map)
    }
}

/// A JSON body with a status chosen at run time (documented as its `200` form).
pub struct StatusJson<T> {
    pub status: StatusCode,
    pub body: T,
}

impl<T: Serialize> Responder for StatusJson<T> {
    type Body = BoxBody;
    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        HttpResponse::build(self.status).json(self.body)
    }
}

impl<T: Apiv2Schema> Apiv2Schema for StatusJson<T> {}

impl<T: Apiv2Schema> OperationModifier for StatusJson<T> {
    fn update_response(op: &mut DefaultOperationRaw) {
        web::Json::<T>::update_response(op)
    }
    fn update_definitions(map: &mut BTreeMap<String, DefaultSchemaRaw>) {
        web::Json::<T>::update_definitions(map)
    }
}
