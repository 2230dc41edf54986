document.querySelectorAll("button[data-copy]").forEach(function (b) {
  b.addEventListener("click", function () {
    var code = document.getElementById(b.getAttribute("data-copy"));
    navigator.clipboard.writeText(code.textContent).then(function () { b.textContent = "copied"; });
  });
});
