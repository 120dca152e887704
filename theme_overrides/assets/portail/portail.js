// Join e-mail addresses that templates write split and reversed, so that
// they are readable and clickable in a browser but absent from the HTML.
document.querySelectorAll(".portail-email[data-user]").forEach((node) => {
  const reverse = (text) => Array.from(text).reverse().join("");
  const address = reverse(node.dataset.user) + "@" + reverse(node.dataset.domain);
  const link = document.createElement("a");
  link.href = "mailto:" + address;
  link.textContent = address;
  node.replaceChildren(link);
});
