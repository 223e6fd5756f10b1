// Swagger UI for the AcmeToCasino API (external file: works under script-src 'self').
window.addEventListener('DOMContentLoaded', function () {
  'use strict';
  window.ui = SwaggerUIBundle({
    url: '/api/v2/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    persistAuthorization: true,
    validatorUrl: null,            // no badge, no call to an online validator
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
    displayRequestDuration: true,
    filter: true,
    tryItOutEnabled: false,
    docExpansion: 'list',
    defaultModelsExpandDepth: 0
  });
});
