/* app.js: the dashboard (to come). */
