"""The unchanged pywa client against a wamm platform: reads, a template creation and a
Marketing Messages send, one JSON line per call (see wamm_pywa.py); the Rust test asserts on
them.

Configuration (environment), besides wamm_pywa.py's: WAMM_TO (a recipient),
WAMM_SEND_TEMPLATE, WAMM_SEND_LANGUAGE and WAMM_SEND_PARAMS (an approved marketing template
and its comma-separated body parameters), WAMM_NEW_TEMPLATE
(the name of the template to create).
"""

from pywa.types import templates as t

from wamm_pywa import client, env, report, send_marketing_template

wa = client()


def business_account():
    waba = wa.get_business_account()
    return {"id": waba.id, "name": waba.name}


def phone_numbers():
    return {"ids": [p.id for p in wa.get_business_phone_numbers()]}


def phone_number():
    phone = wa.get_business_phone_number()
    return {"id": phone.id, "display_phone_number": phone.display_phone_number}


def templates():
    return {"names": [tpl.name for tpl in wa.get_templates()]}


def create_template():
    created = wa.create_template(
        t.Template(
            name=env["WAMM_NEW_TEMPLATE"],
            category=t.TemplateCategory.MARKETING,
            language=t.TemplateLanguage.ENGLISH_US,
            parameter_format=t.ParamFormat.POSITIONAL,
            components=[t.BodyText(text="Our spring sale starts today.")],
        )
    )
    return {"id": created.id, "status": str(created.status), "category": str(created.category)}


report("get_business_account", business_account)
report("get_business_phone_numbers", phone_numbers)
report("get_business_phone_number", phone_number)
report("get_templates", templates)
report("create_template", create_template)
report("send_template_mm_lite", lambda: send_marketing_template(wa))
