// A stand-in for https://js.stripe.com/v3 in the browser test (served there by Playwright's
// routing, so the page's CSP is exercised as deployed): a card element that is one input, and
// confirmCardPayment calling the PaymentIntents API at https://api.stripe.com, which the test
// routes to localstripe (adding the test's secret key: localstripe has no publishable-key
// confirmation). Only what the payment page uses.
window.Stripe = function () {
  function api(path, params) {
    return fetch("https://api.stripe.com/v1/" + path, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(params),
    }).then(function (r) {
      return r.json().then(function (body) { return { ok: r.ok, body: body }; });
    });
  }
  return {
    elements: function () {
      return {
        create: function () {
          var input = document.createElement("input");
          input.id = "stripe-card";
          input.setAttribute("placeholder", "Card number");
          return {
            mount: function (selector) { document.querySelector(selector).appendChild(input); },
            number: function () { return input.value.replace(/\s/g, ""); },
          };
        },
      };
    },
    confirmCardPayment: async function (clientSecret, data) {
      var intent = clientSecret.split("_secret_")[0];
      var method = data.payment_method.card.number() === "4242424242424242" ? "pm_card_visa" : "pm_card_chargeDeclined";
      var attached = await api("payment_intents/" + intent, { payment_method: method });
      if (!attached.ok) return { error: attached.body.error };
      var confirmed = await api("payment_intents/" + intent + "/confirm", {});
      if (!confirmed.ok || confirmed.body.status !== "succeeded") {
        return { error: confirmed.body.error || { message: "Your card was declined." } };
      }
      return { paymentIntent: confirmed.body };
    },
  };
};
