// The payment page with Stripe.js: Stripe's card element collects the card (it never reaches
// our server); the attempt's PaymentIntent comes from our server (created by the card-payment
// workflow); Stripe.js confirms it; the form then posts to /return, where our server asks
// Stripe how the intent ended. After a decline the page reloads for a new attempt (a new
// intent): Stripe's payment_failed webhook may already have closed this one.
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  var button = document.getElementById("pay-button");
  var errors = document.getElementById("card-errors");
  var stripe = Stripe(form.dataset.key);
  var card = stripe.elements().create("card");
  card.mount("#card-element");

  var declined = false;

  function fail(message) {
    errors.textContent = message;
    button.disabled = false;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    if (declined) {
      window.location.reload();
      return;
    }
    button.disabled = true;
    errors.textContent = "";
    var body = new URLSearchParams({ attempt: form.elements.attempt.value });
    var response;
    try {
      response = await fetch(form.dataset.intent, { method: "POST", body: body });
    } catch (e) {
      return fail("We could not reach the server. Check your connection and try again.");
    }
    var intent = await response.json().catch(function () { return {}; });
    if (!response.ok || !intent.client_secret) {
      return fail(intent.detail || "This invoice cannot be paid right now.");
    }
    if (intent.status !== "succeeded" && intent.status !== "processing") {
      var result = await stripe.confirmCardPayment(intent.client_secret, { payment_method: { card: card } });
      if (result.error) {
        declined = true;
        button.textContent = "Try another card";
        return fail(result.error.message || "Your card was not charged.");
      }
    }
    form.submit();
  });
})();
