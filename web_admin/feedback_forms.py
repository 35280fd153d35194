"""Forms of the feedback pages. They carry CSRF and keep what was typed; the rules live in
backend/services/feedback/submission.py, whose field errors are shown back on the form."""
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

# (value, label): the most positive answer first.
SCALE = [("5", "Very satisfied"), ("4", "Satisfied"), ("3", "Neither satisfied nor dissatisfied"),
         ("2", "Dissatisfied"), ("1", "Very dissatisfied")]

# Question name -> what the legend asks.
QUESTION_TEXT = {
    "overall": "Overall, how satisfied are you with the care and support you receive?",
    "reliability": "How satisfied are you that carers arrive on time and stay as long as agreed?",
    "consistency": "How satisfied are you with seeing the same carers you know?",
    "dignity": "How satisfied are you that you are treated with dignity and respect?",
    "involvement": "How satisfied are you with how you are involved in planning your care?",
    "safety": "How satisfied are you that you feel safe when carers visit?",
}


def _rating(name: str) -> RadioField:
    # Rendered by the template from SCALE; the service checks the value.
    return RadioField(QUESTION_TEXT[name], validators=[Optional()], validate_choice=False)


class FeedbackForm(FlaskForm):
    """The feedback questions (provider choices are set by the page)."""

    provider_id = SelectField("Which care provider is your feedback about?", choices=[],
                              validators=[Optional()], validate_choice=False)
    overall = _rating("overall")
    reliability = _rating("reliability")
    consistency = _rating("consistency")
    dignity = _rating("dignity")
    involvement = _rating("involvement")
    safety = _rating("safety")
    free_text = TextAreaField("Tell us more about your care (optional)", validators=[Optional()])
    worried = BooleanField("I am worried about someone's safety")
    contact_requested = BooleanField("I would like someone to contact me about this")
    contact_details = StringField("How should we contact you? (phone number or email)",
                                  validators=[Optional()])
    service_user_ref = StringField("Care reference of the person receiving care (optional)",
                                   validators=[Optional()])
    service_user_consent = BooleanField(
        "The person receiving care has agreed to be named in this feedback")
    anonymous = BooleanField("Send this anonymously (your name will not be stored with it)")

    def answers(self) -> dict:
        """The submitted answers as plain values for the feedback service."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}

    def show_errors(self, fields: dict) -> None:
        """Attach a service's field errors to the fields they name."""
        for name, messages in fields.items():
            if name in self._fields:
                self._fields[name].errors = list(messages)


class FeedbackCodeForm(FlaskForm):
    """The short code printed on a feedback card."""

    code = StringField("Feedback code", validators=[Optional()])


class ModerationForm(FlaskForm):
    """The text the provider will see."""

    redacted_text = TextAreaField("Text the provider will see", validators=[Optional()])


class IssueLinkForm(FlaskForm):
    """Issue a one-time feedback link."""

    provider_id = SelectField("Provider (optional)", choices=[], validators=[Optional()],
                              validate_choice=False)
    valid_days = IntegerField("Valid for (days)", validators=[Optional()])
    label = StringField("Note for your records (optional, e.g. who it is for)",
                        validators=[Optional()])


class SatisfactionSettingsForm(FlaskForm):
    """A commissioner's baseline and minimum number of responses."""

    baseline_pct = StringField("Satisfaction baseline (%)", validators=[Optional()])
    min_responses = IntegerField("Fewest responses to rank a provider", validators=[Optional()])
