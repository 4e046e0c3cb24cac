"""The standard scripts (标准用语) of KB-2, as seed content of the knowledge base.

Sources: ``002`` (呼叫中心服务标准, 电话接听服务态度, items 1–14) and ``003`` (客服接听电话标准用语,
items 1–8, and the greeting and closing of 预定座位标准流程). The wording is the seeds'; ``002`` is
written in traditional characters and is given here in simplified ones, the script of the product,
so that agents find it with what they type. Punctuation is full-width; the garbled ellipsis of
``003`` item 8 („„) is written as ……. Loaded by ``services.load_standard_scripts``.

The quick phrases are the same scripts cut to one sentence for chat, with the placeholders of
ux.md §1 ({客户称呼}, {工号}).
"""

from __future__ import annotations

from dataclasses import dataclass

CATEGORY = "标准用语"
CHANGE_NOTE = "载入标准用语"


@dataclass(frozen=True)
class Script:
    key: str
    title: str
    tags: tuple[str, ...]
    body: str


@dataclass(frozen=True)
class Phrase:
    shortcut: str
    title: str
    text: str


ARTICLES: tuple[Script, ...] = (
    Script(
        "greeting",
        "接通电话：问候语（报工号）",
        ("问候", "工号", "开场白"),
        "接通电话时，应说：“您好，中国××（工号）为您服务！”\n订座电话示例：“您好，欢迎致XXX影城，工号120为您服务！”",
    ),
    Script(
        "no_response",
        "客户不出声",
        ("无应答", "静默"),
        "客户不出声时，应说：“您好，请问有什么可以帮您？”\n用户仍不出声，应说：“对不起，听不到您的声音，请稍后再拨！”",
    ),
    Script(
        "waiting",
        "客户等待",
        ("等待", "保持"),
        "用户等待超过10秒，应说：“对不起，请稍等！”",
    ),
    Script(
        "dialect",
        "听不懂客户方言",
        ("方言", "普通话"),
        "听不懂用户方言，应说：“您好，请讲普通话好吗？”",
    ),
    Script(
        "cannot_hear",
        "听不清客户讲话",
        ("听不清", "信号"),
        "听不清用户问题，应说：“对不起，请您大声一点好吗？”“对不起，请您讲慢一点好吗？”"
        "“对不起，请您重复一遍好吗？”\n"
        "如遇信号不好，听不清楚时：“对不起，我听不到您的声音，你换一部电话打来好吗？我现在挂机。”\n"
        "没听清客户讲话时：\n"
        "a. 如果只是个别字眼没有听清，你可以与客户进行确认：“对不起，请问您的意思是……吗？”"
        "或者“您是说……，对吗？”\n"
        "b. 如果完全没有听清，你应用征询的语气向客户询问：“对不起，我没听清您的讲话，请您重复一遍，好吗？谢谢！”",
    ),
    Script(
        "resume_after_mute",
        "取消静音，恢复通话",
        ("静音", "保持"),
        "取消“静音”恢复通话，应说：“对不起，让您久等了！”",
    ),
    Script(
        "answered",
        "解答完毕",
        ("解答",),
        "解答完毕，应说：“请问您还有什么问题吗？”",
    ),
    Script(
        "cannot_answer_now",
        "不能当场解答",
        ("疑难问题", "延时答复"),
        "不能当场解答疑难问题，应说：“请稍等，您的问题正在记录……请讲！”“您的问题我复述一遍好吗？”"
        "“您的问题稍后我们会尽快回复您。”\n"
        "不能作出肯定答复时：“对不起，请您稍等，我讯问下我们经理”",
    ),
    Script(
        "reply_difficult_question",
        "回复疑难问题",
        ("疑难问题", "回复"),
        "回复疑难问题时，应说：“您好，这里是湖北哲科服务热线。您上次（*月*日）咨询的关于***问题，现在给您回复。”",
    ),
    Script(
        "ask_to_note",
        "需要客户记录",
        ("记录",),
        "需要用户记录时，应说：“请您记录……”",
    ),
    Script(
        "closing",
        "结束通话",
        ("结束语", "感谢"),
        "电话结束，用户表示感谢时，应说：“不用谢/不客气，欢迎您再次来电！”\n"
        "订座电话示例：“请问还有其它需要帮助的吗？好的，感谢您的来电，再见！”"
        "（若逢周末或节假日，可以说“祝您周末愉快/XX节快乐，再见！”）",
    ),
    Script(
        "wrong_number",
        "客户打错电话",
        ("打错电话",),
        "用户打错电话，应说：“您好！对不起，这里是湖北哲科服务热线，您打错电话了！”并尽可能地告知正确的去电方向。",
    ),
    Script(
        "unfriendly_caller",
        "客户态度不友好、抱怨",
        ("态度不友好", "抱怨"),
        "用户态度不友好，应说：“谢谢您的宝贵意见！我们会及时向领导反映。”“我们的工作还需要改进，感谢您的支持！”\n"
        "如遇客户抱怨：“对不起，给你造成不便，敬请原谅。”",
    ),
    Script(
        "abusive_caller",
        "客户破口大骂",
        ("辱骂", "情绪激动"),
        "如遇客户破口大骂：“对不起，我非常理解您的心情，但是为了帮您解决问题，请您慢慢说好吗？我会尽全力帮您解决的。”",
    ),
    Script(
        "nuisance_call",
        "无聊（粗俗）电话",
        ("骚扰电话", "文明用语"),
        "无聊（粗俗）电话：应礼貌回答：“先生/女士，请您使用文明语言，否则很抱歉，我们将结束这次通话。”",
    ),
    Script(
        "third_party_information",
        "查询他人信息",
        ("个人信息", "隐私"),
        "如果顾客需要查询某客户信息时：“对不起，我们必须保护用户的利益，不能泄漏客户的个人信息。”",
    ),
    Script(
        "suggestion",
        "客户提出建议",
        ("建议",),
        "用户建议：“您的建议很重要，我们会及时转给我们领导，谢谢您的支持与建议！”",
    ),
)

QUICK_PHRASES: tuple[Phrase, ...] = (
    Phrase("/greet", "问候语", "{客户称呼}您好，{工号}号客服为您服务！请问有什么可以帮您？"),
    Phrase("/wait", "请稍等", "对不起，请稍等！"),
    Phrase("/back", "让您久等了", "对不起，让您久等了！"),
    Phrase("/more", "还有其他问题吗", "请问您还有什么问题吗？"),
    Phrase("/later", "稍后回复", "您的问题稍后我们会尽快回复您。"),
    Phrase("/bye", "结束语", "不用谢，{客户称呼}，欢迎您再次来电！"),
)
