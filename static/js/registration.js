// Registration form: show the student questions only when a student ticket is chosen.
function syncStudentFields() {
  const form = document.getElementById("registration-form");
  const fields = document.getElementById("student-fields");
  if (!form || !fields) return;
  const studentTypes = (form.dataset.studentTypes || "").split(",").filter(Boolean);
  const chosen = form.querySelector("input[name=ticket_type]:checked");
  fields.hidden = !(chosen && studentTypes.includes(chosen.value));
}
document.addEventListener("change", (event) => {
  if (event.target.name === "ticket_type") syncStudentFields();
});
document.addEventListener("DOMContentLoaded", syncStudentFields);
document.addEventListener("htmx:afterSettle", syncStudentFields);
