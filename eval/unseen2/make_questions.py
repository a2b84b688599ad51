import json

RS = "west-sussex-residents-survey-2014"
BW = "bentswood-stakeholder-workshop-2012"
SP = "home-secretary-speech-apcc-2016"
BC = "become-a-councillor"
CP = "get-britain-building-carlisle-park"

items = []


def F(q, facts, sources, evidence, acronym=False):
    items.append({"type": "factual", "question": q, "facts": facts, "sources": sources,
                  "evidence": evidence, "must_pass": True, "acronym": acronym})


def U(q, notes):
    items.append({"type": "unanswerable", "question": q, "facts": [], "sources": [], "evidence": [],
                  "must_pass": False, "acronym": False, "notes": notes})


def FU(turns, q, facts, sources, evidence, acronym=False):
    items.append({"type": "followup", "question": q, "turns": turns, "facts": facts, "sources": sources,
                  "evidence": evidence, "must_pass": True, "acronym": acronym})


# ---------------- West Sussex Residents Survey 2014 (78-page PDF) ----------------
F("How many interviews were carried out for the West Sussex Residents Survey 2014, and over what period was the fieldwork done?",
  [[r"\b3,?917\b"], [r"15(th)?\s+Feb(ruary)?"], [r"12(th)?\s+April"]], [RS],
  ["A total of 3,917 face-to-face interviews were completed between 15 February to 12 April 2014"])

F("In the West Sussex Residents Survey 2014, what does LNIA stand for, what are these areas, and how many interviews were completed with people living in them?",
  [[r"Local\s+Neighbourhood\s+Improvement\s+Areas?"], [r"priority\s+areas?"], [r"\b834\b"]], [RS],
  ["Local Neighbourhood Improvement Areas (LNIA), which are priority areas within West Sussex for support",
   "In total, 834 interviews were completed with residents who live in postcodes"], acronym=True)

F("On the West Sussex Residents Survey doorstep fieldwork, how did interviewers pick who in a household to interview, and how far apart did their interviews have to be?",
  [[r"last\s+birthday"], [r"\b(5|five)\s+doors"]], [RS],
  ["with suitable respondents in a household recruited using the last birthday rule",
   "interviewers were required to leave 5 doors between completed interviews"])

F("What interview target was set for each district in the West Sussex Residents Survey 2014, and how many districts were covered?",
  [[r"\b550\b"], [r"\b(7|seven)\b"]], [RS],
  ["target of 550 interviews in each of the 7 districts within West Sussex"])

F("In the sample table of the West Sussex Residents Survey, how many interviews were actually achieved in Adur, and what did Adur count for once the sample had been weighted?",
  [[r"\b566\b"], [r"\b299\b"]], [RS],
  ["Adur 49,078 8% 566 14% 299 8%"])

F("According to the West Sussex Residents Survey 2014, how long on average had respondents lived in their local area, and what share had lived there for more than two decades?",
  [[r"\b17\s+years"], [r"\b31\s*%"]], [RS],
  ["On average, respondents had lived in the area for 17 years.",
   "around a third (31%) of respondents had lived in their local area for more"])

F("Did residents of LNIAs feel the same sense of belonging as other West Sussex residents? Give the figures from the 2014 residents survey.",
  [[r"\b81\s*%"], [r"\b90\s*%"]], [RS],
  ["to have a strong sense of belonging (90% vs. 81%)"], acronym=True)

F("In the West Sussex Residents Survey 2014, which district was the only one where most respondents did not agree that people in their neighbourhood pull together, and what was the county-wide level of agreement?",
  [[r"Worthing"], [r"\b62\s*%"]], [RS],
  ["Respondents in Worthing were significantly more likely to disagree with this statement",
   "62% of respondents did agree that people in their neighbourhood pull together"])

F("What proportion of West Sussex residents felt safe outside in their local area after dark in 2014, and which district stood out as feeling least safe?",
  [[r"\b87\s*%"], [r"Crawley"]], [RS],
  ["the majority (87%) of respondents stated that they felt safe when outside",
   "respondents in Crawley were significantly less likely than those in all of the other districts"])

F("Which issues did the largest shares of West Sussex residents describe as a big problem in their local area in the 2014 survey?",
  [[r"rubbish|litter"], [r"\b13\s*%"], [r"drug"], [r"teenager"]], [RS],
  ["13% have stated that rubbish or litter lying around is the biggest problem",
   "followed by people using or dealing drugs (6%)",
   "and teenagers hanging around the streets (5%)"])

F("What did West Sussex residents in 2014 rate as the three most important things in making somewhere a good place to live?",
  [[r"health"], [r"crime"], [r"transport"]], [RS],
  ["most likely to regard health services (47%), crime levels (44%) and transport links (41%)"])

F("Across West Sussex as a whole, what did the 2014 residents survey find was most often mentioned as needing improvement locally, and by what share of respondents?",
  [[r"facilities\s+for\s+(young\s+people|youth)|young\s+people"], [r"\b24\s*%"]], [RS],
  ["facilities for young people were mentioned by the largest proportion (24%)"])

F("When residents named some other aspect of their area that needed improving in the West Sussex survey, what were the most common ones?",
  [[r"parking"], [r"road\s+quality|quality\s+of\s+(the\s+)?roads"], [r"street\s*lighting"]], [RS],
  ["this was most often parking (5%), road quality (5%) and street lighting (2%)"])

F("In the West Sussex Residents Survey's table of improvements needed by district, what share of Crawley respondents said crime levels needed improving, and what share said the cost of living did?",
  [[r"\b23\s*%"], [r"\b21\s*%"]], [RS],
  ["Crime levels 4% 4% 6% 23% 12% 9% 8%",
   "Cost of living 9% 7% 9% 21% 11% 8% 9%"])

F("Why does the West Sussex Residents Survey report think crime levels and the cost of living were particular concerns for people in Crawley?",
  [[r"deprived|deprivation"]], [RS],
  ["reflecting the fact that Crawley is one of the more deprived districts"])

F("The 2014 West Sussex residents survey found that people outside LNIAs chatted to their neighbours on most days more often than people inside them. What does the report say partly explains this?",
  [[r"overwhelmingly\s+urban|\b99\s*%"], [r"\b19\s*%|a\s+fifth"]], [RS],
  ["LNIA areas are almost overwhelmingly urban (99%)",
   "around a fifth of addresses in non-LNIA areas were actually rural (19%)"], acronym=True)

F("In the district table on trust in the West Sussex Residents Survey, which district had the highest share saying most people can be trusted, and what was that share?",
  [[r"Horsham"], [r"\b78\s*%"]], [RS],
  ["Adur Arun Chichester Crawley Horsham Mid-Sussex Worthing",
   "NET: 7-10 (Most people can be trusted) 55% 51% 59% 52% 78% 72% 66%"])

F("The West Sussex Residents Survey compares its wellbeing results with Public Health Outcomes Framework data. What share of survey respondents reported high anxiety (scoring 6-10), and what were the West Sussex public health figure and the England average?",
  [[r"\b11\s*%"], [r"\b23\s*%"], [r"\b21\s*%"]], [RS],
  ["Anxiety (% scoring 6-10) 11% 23% 21%"])

F("Why might anxiety peak among people aged 55-64, according to the West Sussex Residents Survey?",
  [[r"work"], [r"children"], [r"car(ing|e)\s+for|older\s+relatives"]], [RS],
  ["many people within the 55-64 age group will still be working",
   "whilst still being responsible for children and perhaps caring for older relatives"])

F("Using the van Tilburg and de Jong Gierveld loneliness scale, what share of West Sussex survey respondents came out as not lonely and what share as moderately lonely?",
  [[r"\b66\s*%"], [r"\b30\s*%"]], [RS],
  ["66% of respondents are defined as ‘not lonely’, with a further 30% as"])

F("In the West Sussex Residents Survey's loneliness table by district, what were the mean loneliness scores for Crawley and for Horsham?",
  [[r"2\.87"], [r"2\.81"]], [RS],
  ["Mean 2.06 1.32 1.87 2.87 2.81 2.22 2.44"])

F("What was the most common motivation for volunteering among West Sussex residents who helped local groups, and what came second?",
  [[r"improve\s+things|help(ing)?\s+people"], [r"\b43\s*%"], [r"cause"], [r"\b36\s*%"]], [RS],
  ["The most common motivation for volunteering was a general desire to improve",
   "things/help people (43%), followed by a commitment to a specific cause (36%)"])

F("Among West Sussex residents not currently volunteering, what was the single factor most likely to get them involved, and what share said nothing would?",
  [[r"ask(ed|s)?\b.*\bdirectly|directly\s+ask"], [r"\b22\s*%"], [r"\b52\s*%"]], [RS],
  ["over half (52%) of respondents stated that nothing would make them more likely",
   "if someone asked me directly to get involved’ (22%)"])

F("In the West Sussex Residents Survey 2014, what share of respondents said they had voted at the last local government election, and which districts had the highest and lowest turnout among respondents?",
  [[r"\b61\s*%"], [r"Mid[\s-]*Sussex"], [r"Crawley"]], [RS],
  ["61% of respondents stated that they had voted in the last local government",
   "Mid Sussex being most likely to have voted (67%) and those in Crawley"])

F("How did civic participation in West Sussex, such as contacting officials or signing petitions, compare with the national figure from the Cabinet Office's Community Life Survey?",
  [[r"\b41\s*%"], [r"lower"]], [RS],
  ["Community Life Survey state that in, 2012-2013, 41% of the",
   "participation in West Sussex appears to be lower than average"])

F("What was the main barrier residents gave for not getting involved in local activities or campaigns in the West Sussex survey, and in which district was it cited most?",
  [[r"\btime\b"], [r"\b41\s*%"], [r"Arun"]], [RS],
  ["a lack of time was their main barrier to getting involved locally (41%)",
   "respondents in Arun were more likely to cite lack of time than those in any"])

F("In the West Sussex Residents Survey, what did residents say would most make it easier for them to influence decisions in their local area, and what proportion said nothing would help?",
  [[r"more\s+time"], [r"\b34\s*%"], [r"\b27\s*%"]], [RS],
  ["‘more time’ was seen as the biggest factor (34%)",
   "27% felt that ‘nothing’ would make it easier for them"])

F("In the demographic profile of the West Sussex Residents Survey, what share of the weighted sample provided care for 50 or more hours a week, and what share had any caring responsibility at all?",
  [[r"\b4\s*%"], [r"\b20\s*%|\b21\s*%"]], [RS],
  ["Yes, 50 or more hours a week 166 4% 159 4%",
   "NET: Yes 804 21% 799 20%"])

F("Where did the population data used to weight the West Sussex Residents Survey results come from?",
  [[r"2011\s+Census"]], [RS],
  ["weights to be applied were taken from the 2011 Census"])

F("Which national survey was the West Sussex Residents Survey 2014 broadly modelled on, and who had commissioned that national survey?",
  [[r"Community\s+Life\s+Survey"], [r"Cabinet\s+Office"]], [RS],
  ["broadly based on the Community Life survey commissioned by the Cabinet Office in 2012/13"])

F("In the West Sussex Residents Survey's table of priorities by age group, what share of residents aged 65+ rated health services as important to a good place to live, and what was the figure for 18-34 year olds?",
  [[r"\b62\s*%"], [r"\b33\s*%"]], [RS],
  ["Health services 33% 44% 62%"])

# ---------------- Bentswood stakeholder workshop (23-page PDF) ----------------
F("Who ran the Bentswood health and wellbeing stakeholder workshop, who commissioned it, and in which town is Bentswood?",
  [[r"Qa\s+Research"], [r"West\s+Sussex\s+(NHS|Public\s+Health)"], [r"Haywards\s+Heath"]], [BW],
  ["Qa Research were asked by West Sussex NHS to develop and deliver a workshop",
   "their work with stakeholders in Bentswood, Haywards Heath."])

F("What two principles shaped the approach taken at the Bentswood stakeholder workshop?",
  [[r"positive\s+features|strengths|assets|resources"], [r"top[\s-]+down|community[\s-]+driven"]], [BW],
  ["this alternative approach identifies, appreciates and mobilises positive features within a neighbourhood",
   "the approach needs to be neighbourhood and community driven rather than delivered"])

F("How many people took part in the Bentswood stakeholder workshop, and how were they grouped?",
  [[r"\b50\b|fifty"], [r"\b(five|5)\s+tables"]], [BW],
  ["In total 50 participants provided input and helped to develop",
   "five tables with six or more participants worked through the activities"])

F("In the Bentswood workshop, what was the aim of the 'visibility project' and where was its pilot event to be held?",
  [[r"free,?\s+local\s+services"], [r"Family\s+Fun\s+Afternoon"], [r"Warden\s+Park"]], [BW],
  ["Aim: promotion of free, local services which are currently available to improve health and wellbeing.",
   "Event: Family Fun Afternoon - pilot event at school",
   "Where? Warden Park Academy Primary School"])

F("Why was Affinity Sutton treated as an external stakeholder in the Bentswood mapping exercise even though it manages social housing there?",
  [[r"offices?"], [r"outside"]], [BW],
  ["viewed as an external agency given their offices are located outside Bentwood"])

F("After the Bentswood workshop, what did West Sussex Public Health plan to do next to engage residents and build community empowerment?",
  [[r"focus\s+groups?"], [r"community\s+volunteers|train(ing)?\s+(up\s+)?(key\s+)?(individuals|local\s+people|residents)"]], [BW],
  ["Public Health will be organising focus groups and other engagement activities",
   "train up key individuals who live and/or work in the area as community volunteers"])

F("How is the body mapping exercise described in the Bentswood workshop report carried out?",
  [[r"\bA2\b"], [r"draw(ing|n)?\s+(a\s+line\s+)?around"]], [BW],
  ["prepare three or four sheets of A2",
   "draw around one of the participants and then get participants to think"])

F("What did the Bentswood workshop conclude about whether community projects need substantial capital to get started?",
  [[r"not\s+always\s+necessary|don.t\s+(always\s+)?need|do\s+not\s+(always\s+)?need"], [r"infrastructure|existing\s+(physical\s+)?resources|resources\s+within"]], [BW],
  ["It is not always necessary to have access to substantial capital to start worthwhile projects",
   "it is often much better to use physical infrastructure and resources within the"])

# ---------------- Home Secretary speech to APCC (GOV.UK HTML) ----------------
F("According to the Home Secretary's May 2016 speech to the Association of Police and Crime Commissioners, what was the turnout in this year's PCC elections and roughly how many people voted?",
  [[r"27\.4\s*%"], [r"\b9\s+million|nine\s+million"]], [SP],
  ["Overall turnout was 27.4% across England and Wales",
   "around 9 million people went to the polls to elect you"], acronym=True)

F("In her 2016 APCC speech, how oversubscribed did the Home Secretary say Police Now was this year, and what share of the expected starters were women and from BME backgrounds?",
  [[r"2,?500"], [r"\b100\b"], [r"\b55\s*%"], [r"\b21\s*%"]], [SP],
  ["nearly 2,500 students applied for the 100 places available",
   "55% are women and 21% are from a black and ethnic minority"], acronym=True)

F("What did HMIC find about police authorities in 2010, as cited by the Home Secretary in her speech to police and crime commissioners?",
  [[r"\b4\b|\bfour\b"], [r"\b22\b"], [r"strategic\s+direction|value\s+for\s+money"]], [SP],
  ["only 4 of the 22 police authorities inspected by Her Majesty’s Inspectorate of Constabulary",
   "setting strategic direction and ensuring value for money for taxpayers"], acronym=True)

F("What did the Staffordshire police and crime commissioner set up with the other emergency services, according to the Home Secretary's APCC speech, and what is it worth to the partners?",
  [[r"tri-?service"], [r"fire\s+station"], [r"1\.18\s+million"]], [SP],
  ["created a tri-service neighbourhood centre at the site of the existing fire station",
   "which equates to £1.18 million worth"], acronym=True)

F("How much public contact do PCC offices handle each month, according to the Home Secretary's 2016 speech?",
  [[r"7,?000"], [r"85,?000"]], [SP],
  ["your offices will receive upwards of 7,000 pieces of correspondence every month",
   "your websites are being visited by over 85,000 people, every month"], acronym=True)

F("What fire and rescue changes did the Home Secretary say the Policing and Crime Bill would bring in for PCCs and the emergency services?",
  [[r"take\s+on\s+responsibilit|responsib\w*\s+for\s+fire|take\s+(on|over)\s+fire"], [r"statutory\s+duty|legal\s+duty"], [r"collaborat"]], [SP],
  ["legislating to enable PCCs to take on responsibilities for fire and rescue services locally",
   "to place a statutory duty on all three emergency services to collaborate"], acronym=True)

F("By how much did the Home Secretary tell the APCC that overall police spending would rise over the Spending Review period?",
  [[r"900\s*(million|m)\b"]], [SP],
  ["overall police spending will increase by up to £900 million in cash terms"], acronym=True)

F("What did Katy Bourne's Youth Commission in Sussex do, as described in the Home Secretary's speech to PCCs?",
  [[r"2,?000"], [r"police\s+and\s+crime\s+plan"]], [SP],
  ["gathered the views of more than 2,000 young people from across the county",
   "challenge the priorities set out in her police and crime plan"], acronym=True)

# ---------------- Become a councillor (GOV.UK HTML) ----------------
F("According to GOV.UK's 'Become a councillor' page, roughly how many local councillors are there in England, and what rule applies to where a councillor lives?",
  [[r"20,?000"], [r"live\s+or\s+work"]], [BC],
  ["There are roughly 20,000 local councillors in England.",
   "so they must either live or work in the area"])

F("To be officially nominated as a council candidate, how many people need to sign the nomination papers, and who is allowed to sign them?",
  [[r"\b10\b|\bten\b"], [r"registered\s+electors?"]], [BC],
  ["This means getting 10 people to sign your nomination papers",
   "signatories must be registered electors in the ward where you wish to stand"])

F("What does GOV.UK's 'Become a councillor' page list as the main responsibilities of a councillor?",
  [[r"represent"], [r"decision"], [r"scrutinis|scrutiniz"]], [BC],
  ["representing the ward for which they are elected",
   "decision-making - developing and reviewing council policy",
   "scrutinising decisions taken by the councillors on the executive or cabinet"])

F("According to GOV.UK's 'Become a councillor' page, what are the two main routes to standing for election as a councillor?",
  [[r"political\s+part(y|ies)|party"], [r"independent"]], [BC],
  ["decide to stand for one of the political parties/groups or as an independent"])

# ---------------- Get Britain Building: Carlisle Park (GOV.UK case study HTML) ----------------
F("How many homes are planned at Carlisle Park, how much HCA investment is going in, and how big is the first phase?",
  [[r"\b381\b"], [r"2\.2\s*(million|m)\b"], [r"\b125\b"]], [CP],
  ["transform the area into 381 new 2, 3 and 4 bedroom homes",
   "£2.2 million of investment from the Homes and Communities Agency’s (HCA)",
   "to start the first phase of 125 homes"], acronym=True)

F("What was the Carlisle Park housing site used for before, and why had developers struggled with it?",
  [[r"tar\s+distillery"], [r"contaminat"]], [CP],
  ["The Croda Tar Distillery, on the border between Kilnhurst and Swinton, closed",
   "the heavily contaminated site proving a challenge for developers"])

F("Which council is Gleeson Homes working with to clean up the Carlisle Park site?",
  [[r"Rotherham"]], [CP],
  ["Working with Rotherham Borough Council and remediation specialists"])

F("How does the Get Britain Building programme help housing developers, and how many homes was it expected to deliver nationally?",
  [[r"access\s+(to\s+)?financ|shar(e|ing)\s+(the\s+)?risk"], [r"16,?000"], [r"March\s+2015"]], [CP],
  ["the Get Britain Building programme helps developers access finance",
   "bring forward marginal sites by sharing risk",
   "Up to 16,000 homes on stalled sites across England will be built by March 2015"])

# ---------------- Unanswerable ----------------
U("What response rate did the West Sussex Residents Survey 2014 achieve?",
  "The report gives the number of interviews (3,917), the method and the sampling, but no response or refusal rate.")
U("Which neighbourhoods in West Sussex are designated as Local Neighbourhood Improvement Areas?",
  "The residents survey defines LNIAs and counts interviews in them (834) but never lists the areas.")
U("How did residents' satisfaction with their local area in 2014 compare with the previous West Sussex residents survey?",
  "No earlier West Sussex residents survey is reported; the only comparisons are with the Community Life Survey, Ofcom and Public Health Outcomes data.")
U("What share of Bentswood residents said they often feel lonely?",
  "The Bentswood report summarises a stakeholder workshop and holds no resident survey data; the residents survey reports loneliness by district, not for Bentswood.")
U("How much funding was secured to turn the Mayflower pub into a community centre for Bentswood?",
  "The workshop report records support for bidding for the Mayflower and lists possible funding sources, but no funding decision or amount.")
U("What was the turnout in the Sussex police and crime commissioner election in May 2016?",
  "The Home Secretary's speech gives only the overall England and Wales turnout (27.4%), not a figure for Sussex.")
U("How many police and crime commissioners have taken over responsibility for their local fire and rescue service?",
  "The speech describes planned legislation to allow PCCs to take on fire and rescue; it records no PCC having done so.")
U("How much allowance is a local councillor paid each year?",
  "The 'Become a councillor' page covers the role and nomination, not allowances or pay.")
U("How many of the Carlisle Park homes will be for social or affordable rent?",
  "The case study describes a mix of first-time buyer and family homes but gives no tenure split or affordable housing numbers.")
U("How many Direct Entry superintendents were recruited in the scheme's second year?",
  "The speech says there are only 8 in the first year; no second-year intake is given.")

# ---------------- Follow-ups ----------------
FU(["In the West Sussex Residents Survey 2014, what share of respondents had helped or supported a local group, club or organisation in the last 12 months?"],
   "Which district had the highest rate and which had the lowest?",
   [[r"Mid[\s-]*Sussex"], [r"\b35\s*%"], [r"Arun"], [r"\b16\s*%"]], [RS],
   ["Those in Mid Sussex were most likely to have provided support (35%)",
    "those in Arun were the least likely (16%)"])

FU(["According to the Home Secretary's 2016 speech to the APCC, what was the turnout in the May 2016 police and crime commissioner elections?"],
   "And how did that compare with the first elections in 2012?",
   [[r"15\.1\s*%"], [r"5\.5\s+million"]], [SP],
   ["when 5.5 million votes were cast, and turnout was 15.1%"])

FU(["In the Bentswood stakeholder workshop report, which venues were suggested for a community hub?"],
   "What would the hub mainly be for, and why?",
   [[r"young\s+people|youth"], [r"no\s+provision|nothing\s+(for|available)|lack\s+of\s+provision"]], [BW],
   ["provide a social outlet for young people (for example as a youth centre",
    "or coffee bar) for whom there is no provision in Bentswood"])

FU(["To be officially nominated as a council candidate, how many people need to sign your nomination papers?"],
   "And how far ahead of polling day do the papers have to be handed in?",
   [[r"\b19\s+working\s+days"]], [BC],
   ["documents must be submitted 19 working days before the day of the election"])

with open("/work/unseen2/questions.jsonl", "w", encoding="utf-8") as f:
    for i, it in enumerate(items, 1):
        it = {"id": f"v-{i:03d}", **it}
        f.write(json.dumps(it, ensure_ascii=False) + "\n")
print(len(items))
