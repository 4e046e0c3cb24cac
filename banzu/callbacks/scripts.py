"""CB-2: the callback script of each type, seed content in Chinese.

The two scripts of ``002`` (电话回访要求: 纯上门服务回访, 服务协议回访) keep their wording, given
in simplified characters. The other types follow the same four steps the spec lists (introduce
yourself and confirm the company and contact; state the purpose; ask whether the problem was
solved and whether the customer is satisfied; record opinions). A campaign copies its type's script
when it is created and may then be edited.
"""

from __future__ import annotations

_CLOSING = "3）对我公司还有其他的相关意见和建议的记录，有问题可以联系客服咨询。"
_INTRO = "1）自我介绍，确认客户公司，联系人；"

DEFAULT_SCRIPTS: dict[str, str] = {
    "onsite_service": "\n".join(
        [
            _INTRO,
            "2）陈述回访目的（上门时间，上门人员）是否有工作人员上门服务，问题是否解决；",
            _CLOSING,
        ]
    ),
    "service_agreement": "\n".join(
        [
            _INTRO,
            "2）陈述回访目的，针对当时办理业务的工作人员服务态度服务质量，是否满意；",
            _CLOSING,
        ]
    ),
    "new_customer": "\n".join(
        [
            _INTRO,
            "2）陈述回访目的（新客户抽查），核实开通信息是否准确，使用中是否遇到问题，是否满意；",
            _CLOSING,
        ]
    ),
    "vip_regular": "\n".join(
        [
            _INTRO,
            "2）陈述回访目的（VIP客户定期回访），了解近期使用情况，问题是否解决，是否满意；",
            _CLOSING,
        ]
    ),
    "after_repair": "\n".join(
        [
            _INTRO,
            "2）陈述回访目的（故障维修时间，维修人员），故障是否排除，问题是否解决，是否满意；",
            _CLOSING,
        ]
    ),
    "after_complaint": "\n".join(
        [
            _INTRO,
            "2）陈述回访目的（投诉处理结果），问题是否解决，对处理结果是否满意；",
            _CLOSING,
        ]
    ),
    "resolved_sample": "\n".join(
        [
            _INTRO,
            "2）陈述回访目的（来电日期，受理坐席工号），来电反映的问题是否解决，对服务是否满意；",
            _CLOSING,
        ]
    ),
}
